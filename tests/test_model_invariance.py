"""Padding, permutation, chunking and determinism properties of the whole model."""
import torch

from hanet.model import TextInput, VideoInput, score_matrix
from oracles import batch, build


def pad_video(v: VideoInput, extra: int) -> VideoInput:
    """Extra zero frame rows, as the public reader pads a batch to its longest video."""
    zeros = torch.zeros(v.frames.shape[0], extra, v.frames.shape[2])
    return VideoInput(frames=torch.cat([v.frames, zeros], 1), lengths=v.lengths)


def pad_text(t: TextInput, extra_words: int) -> TextInput:
    """Append pad word columns and one empty verb slot and one empty noun slot."""
    B, L = t.words.shape
    NV, NN = t.verb_masks.shape[1], t.noun_masks.shape[1]
    words = torch.cat([t.words, torch.zeros(B, extra_words, dtype=t.words.dtype)], 1)
    def widen(m, slots_extra):  # (B, S, L) -> (B, S+1, L+extra)
        m = torch.cat([m, torch.zeros(B, m.shape[1], extra_words, dtype=torch.bool)], 2)
        return torch.cat([m, torch.zeros(B, slots_extra, m.shape[2], dtype=torch.bool)], 1)
    new_index = torch.tensor([0] + list(range(1, 1 + NV)) + [NV + 2 + k for k in range(NN)])  # old -> new node
    N2 = NV + NN + 3
    adj = torch.zeros(B, N2, N2)
    adj[:, new_index[:, None], new_index[None, :]] = t.adjacency
    roles = torch.zeros(B, N2 - 1, dtype=torch.long)
    roles[:, new_index[1:] - 1] = t.roles
    return TextInput(words=words, lengths=t.lengths, verb_masks=widen(t.verb_masks, 1),
                     noun_masks=widen(t.noun_masks, 1), adjacency=adj, roles=roles)


def all_terms(model, v, t):
    with torch.no_grad():
        terms = model.similarity(model.encode_video(v), model.encode_text(t))
    return terms, model.fuse(terms)


def test_caption_padding_changes_no_score_in_eval_mode():
    torch.set_num_threads(1)
    cfg, model = build()
    model.eval()
    v, t, _ = batch(cfg, 5)
    terms, fused = all_terms(model, v, t)
    terms_p, fused_p = all_terms(model, v, pad_text(t, 4))
    for name in terms:
        assert torch.allclose(terms[name], terms_p[name], atol=1e-5), name
    assert torch.allclose(fused, fused_p, atol=1e-5)


def test_video_padding_reaches_only_what_it_reaches_in_the_public_code():
    """Padded frame rows enter the SE squeeze (local parts) and the kernel-5 action classifier
    (concepts, and through them the local parts), as in the public code; the global and
    individual levels mask them out."""
    cfg, model = build()
    model.eval()
    v, t, _ = batch(cfg, 5)
    terms, _ = all_terms(model, v, t)
    terms_p, _ = all_terms(model, pad_video(v, 3), t)
    for name in ("global", "individual_verb", "individual_noun", "concept_noun"):
        assert torch.allclose(terms[name], terms_p[name], atol=1e-5), name
    assert not torch.allclose(terms["local_verb"], terms_p["local_verb"], atol=1e-5)


def test_batch_permutation_permutes_scores():
    cfg, model = build()
    model.eval()
    v, t, _ = batch(cfg, 6)
    pv, pt = torch.tensor([3, 0, 5, 1, 4, 2]), torch.tensor([5, 4, 3, 2, 1, 0])
    terms, fused = all_terms(model, v, t)
    v2 = VideoInput(v.frames[pv], v.lengths[pv])
    t2 = TextInput(t.words[pt], t.lengths[pt], t.verb_masks[pt], t.noun_masks[pt], t.adjacency[pt], t.roles[pt])
    terms2, fused2 = all_terms(model, v2, t2)
    assert torch.allclose(fused2, fused[pv][:, pt], atol=1e-6)
    for name in terms:
        assert torch.allclose(terms2[name], terms[name][pv][:, pt], atol=1e-6), name


def test_chunked_scoring_and_cat_equal_one_block():
    cfg, model = build()
    model.eval()
    v, t, _ = batch(cfg, 7)
    with torch.no_grad():
        ve, te = model.encode_video(v), model.encode_text(t)
        whole, terms = score_matrix(model, ve, te, video_chunk=100, text_chunk=100, terms=True)
        # encode in pieces with different frame / word padding, then concatenate
        ve2 = type(ve).cat([model.encode_video(VideoInput(v.frames[:3, :4], v.lengths[:3].clamp(max=4))),
                            model.encode_video(v)[3:]])
    assert ve2.frame_action.shape[1] == v.frames.shape[1]
    chunked = score_matrix(model, ve, te, video_chunk=2, text_chunk=3)
    assert chunked.dtype == torch.float32 and chunked.shape == (7, 7)
    assert torch.allclose(chunked, whole, atol=1e-6)
    assert torch.allclose(whole, model.fuse(terms), atol=1e-6)
    short = model.encode_video(VideoInput(v.frames[:3, :4], v.lengths[:3].clamp(max=4)))
    assert torch.allclose(score_matrix(model, ve2, te)[:3], score_matrix(model, short, te), atol=1e-6)
    assert torch.allclose(score_matrix(model, ve2, te)[3:], whole[3:], atol=1e-6)


def test_eval_mode_is_deterministic_and_seeded_builds_agree():
    cfg, model = build(seed=5)
    _, model2 = build(seed=5)
    model.eval(), model2.eval()
    v, t, _ = batch(cfg, 4)
    a = all_terms(model, v, t)[1]
    assert torch.equal(a, all_terms(model, v, t)[1])
    assert torch.equal(a, all_terms(model2, v, t)[1])


def test_text_encoder_no_grad_and_autograd_agree_and_helpers():
    from hanet.model.text_encoder import phrase_pool
    states = torch.tensor([[[1.0, -5.0], [3.0, -1.0], [2.0, 4.0]]])  # (1, 3, 2)
    masks = torch.tensor([[[True, True, False], [False, False, False], [True, False, True]]])
    assert torch.equal(phrase_pool(states, masks), torch.tensor([[[3.0, -1.0], [0.0, 0.0], [2.0, 4.0]]]))
    cfg, model = build(dropout=0.0, word_dropout=0.0, gcn_dropout=0.0)
    model.eval()
    _, t, _ = batch(cfg, 5)
    with torch.no_grad():
        plain = model.encode_text(t)
    graph = model.encode_text(t)
    assert graph.sentence.requires_grad
    for name in ("sentence", "phrase_noun", "node_verb", "verb_concepts", "noun_concepts"):
        assert torch.allclose(getattr(plain, name), getattr(graph, name).detach(), atol=1e-5), name


def test_bf16_autocast_training_and_evaluation_paths():
    """Mixed precision (the GPU's train.bf16) exercised with CPU autocast: the dtype plumbing
    (GCN, fp32 scoring, fp32 concept BCE) is shared by both devices."""
    from hanet.model.random_inputs import random_text
    from hanet.train.evaluate import encode_texts
    torch.set_num_threads(1)
    cfg, model = build(dropout=0.0, word_dropout=0.0, gcn_dropout=0.0)
    v, t, y = batch(cfg, 6)
    exact = model(v, t, y)["loss"]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = model(v, t, y)["loss"]
    low.backward()
    assert abs(float(low.detach()) - float(exact.detach())) < 0.05
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    model.eval()
    texts = random_text(cfg, 30, torch.Generator().manual_seed(2))
    cpu = torch.device("cpu")
    with torch.no_grad():
        ve = model.encode_video(v)
    fp32 = score_matrix(model, ve, encode_texts(model, texts, 8, cpu))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = score_matrix(model, ve, encode_texts(model, texts, 8, cpu))
    assert mixed.dtype == torch.float32 and float((mixed - fp32).abs().max()) < 0.05
