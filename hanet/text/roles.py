"""The 16 semantic roles of HANet's role graph (as in HGR): index = position in ROLES."""

ROLES: tuple[str, ...] = (
    "V", "ARG0", "ARG1", "ARG2", "ARG3", "ARG4",
    "ARGM-LOC", "ARGM-MNR", "ARGM-TMP", "ARGM-DIR", "ARGM-ADV", "ARGM-PRP", "ARGM-PRD",
    "ARGM-COM", "ARGM-MOD", "NOUN",
)
ROLE_INDEX: dict[str, int] = {r: i for i, r in enumerate(ROLES)}
