"""English stop words: NLTK's list when its ``stopwords`` corpus is installed, else a built-in list.

The built-in list (written for this project) covers articles, pronouns, auxiliaries,
prepositions, conjunctions and a few light adverbs; verb auxiliaries are included so
that "is jumping" yields the concept "jump", not "be".
"""

from __future__ import annotations

BUILTIN = frozenset("""
a an the this that these those some any each every all both either neither no nor not only own same such
i me my myself we us our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves one someone something there here what which who whom
whose why how when where be am is are was were been being have has had having do does did doing done will would
shall should can could may might must ought of at by for with about against between into through during before
after above below to from up down in out on off over under again further then once than too very so just also
and but or if because as until while s t don now other more most few nor
""".split())


def stop_words(nltk_data: str | None = None) -> frozenset[str]:
    """NLTK's English stop words if found under ``nltk_data`` (or NLTK's default paths), else BUILTIN."""
    try:
        import nltk
        from nltk.corpus import stopwords

        if nltk_data and nltk_data not in nltk.data.path:
            nltk.data.path.insert(0, nltk_data)
        return frozenset(stopwords.words("english")) | {"be", "have", "do"}
    except (LookupError, OSError):
        return BUILTIN
