"""The 16 semantic roles of HANet's role graph, in the public readers' order (index = the
role embedding row: ``V``, ``ARG1``, ``ARG0``, ...; github.com/Roc-Ng/HANet
``t2vretrieval/readers/rolegraphs.py``)."""

ROLES: tuple[str, ...] = (
    "V", "ARG1", "ARG0", "ARG2", "ARG3", "ARG4",
    "ARGM-LOC", "ARGM-MNR", "ARGM-TMP", "ARGM-DIR", "ARGM-ADV", "ARGM-PRP", "ARGM-PRD",
    "ARGM-COM", "ARGM-MOD", "NOUN",
)
ROLE_INDEX: dict[str, int] = {r: i for i, r in enumerate(ROLES)}


def role_index(role: str) -> int:
    """Public rule: ``C-X`` and ``R-X`` share X's index; any other unknown role is ``NOUN``."""
    for prefix in ("C-", "R-"):
        if role.startswith(prefix) and role[2:] in ROLE_INDEX:
            return ROLE_INDEX[role[2:]]
    return ROLE_INDEX.get(role, ROLE_INDEX["NOUN"])
