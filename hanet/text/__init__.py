"""Caption processing: tokenize, tag, lemmatize, chunk phrases, build role graphs, vocabularies and concepts."""
