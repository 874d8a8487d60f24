"""Records, vocabulary, text and name rules: what every stage shares."""
