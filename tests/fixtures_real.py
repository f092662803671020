"""Offline stand-ins for the real datasets: a local HTTP server and tiny fixture builders.

The server serves files from a dict ``{url path: bytes}`` on 127.0.0.1, honours
``Range: bytes=N-`` (206), and can be told to cut the connection after ``cut_after`` bytes
for the next ``cuts`` responses, to ignore Range, to send no Content-Length (the body then
ends when the connection closes, so a cut looks like a clean end), or to fail with a status code.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np


class FakeHost:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut_after: int | None = None
        self.cuts = 0
        self.ignore_range = False
        self.send_length = True  # False: no Content-Length header (HTTP/1.0 close-delimited body)
        self.fail: dict[str, int] = {}  # path -> HTTP status
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                host.requests.append((self.path, rng))
                if self.path in host.fail:
                    self.send_error(host.fail[self.path])
                    return
                if self.path not in host.files:
                    self.send_error(404)
                    return
                data = host.files[self.path]
                start = 0
                if rng and not host.ignore_range:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                if host.send_length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if host.cuts and host.cut_after is not None and len(body) > host.cut_after:
                    host.cuts -= 1
                    self.wfile.write(body[: host.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> "FakeHost":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tiny_mp4(path: Path, num_frames: int = 40, size: int = 32, seed: int = 0) -> Path:
    """A small H.264 (or MPEG-4) clip of random-coloured frames, written with PyAV."""
    import av

    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as container:
        try:
            stream = container.add_stream("libx264", rate=25)
        except Exception:  # noqa: BLE001 - encoder availability differs between builds
            stream = container.add_stream("mpeg4", rate=25)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(num_frames):
            colour = rng.integers(0, 256, size=3, dtype=np.uint8)
            img = np.broadcast_to(colour, (size, size, 3)).copy()
            img[: size // 2, : size // 2] = 255 - colour  # some structure
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def msrvtt_annotation(num_videos: int, captions_per_video: int = 2,
                      splits: tuple[int, int] | None = None) -> dict:
    """MSR-VTT videodatainfo JSON; ``splits=(n_train, n_val)`` assigns splits by id order."""
    n_train, n_val = splits or (num_videos - 2, 1)
    videos, sentences = [], []
    for i in range(num_videos):
        split = "train" if i < n_train else "validate" if i < n_train + n_val else "test"
        videos.append({"video_id": f"video{i}", "split": split, "category": i % 20})
        for j in range(captions_per_video):
            sentences.append({"video_id": f"video{i}", "sen_id": len(sentences),
                              "caption": f"a person number {i} does thing {j}"})
    return {"info": {}, "videos": videos, "sentences": sentences}


def vatex_captions(ids: list[str]) -> list[dict]:
    return [{"videoID": vid, "enCap": [f"someone does act {k} in clip {n}" for k in range(10)],
             "chCap": ["一个人" for _ in range(10)]} for n, vid in enumerate(ids)]


def i3d_npy(num_frames: int, seed: int) -> bytes:
    buf = io.BytesIO()
    arr = np.random.default_rng(seed).standard_normal((1, num_frames, 1024)).astype(np.float32)
    np.save(buf, arr)
    return buf.getvalue()


def json_bytes(obj) -> bytes:
    return json.dumps(obj).encode()
