"""spaCy's English tokenizer with its cache working on line-oriented notes, and the doc text kept.

spaCy's Tokenizer caches the tokens of each whitespace-separated span, but stops caching for the
rest of a doc as soon as a special case has been seen in it (spaCy issue #1250: a cached entry
would lose the special case's attributes). The English rules make " ", "\\t" and "\\n" special
cases, so in a scanned note the cache is off after the first line break, and the English prefix,
suffix and infix regexes ran on nearly every span: ~30% of the pipeline's time, ~2.5 ms per
800-character piece, ten times what the same piece costs with the cache.

The tokenizer registered here as TOKENIZER is spaCy's own, built the same way as
"spacy.Tokenizer.v1", without those three special cases. They only restate the default (one
token, no NORM), so every token (text, white space, NORM) stays the same: checked against the stock
English tokenizer on the evaluation corpus and on random strings (tests/test_tokenizer.py). A real
special case ("Dr.", "a.m.", "'s") still turns the cache off for the rest of its doc, as before.

`Doc.text` joins every token anew on each call (~0.1 ms per piece) and several components need the
text: the pipeline keeps it in doc.user_data[TEXT_KEY] and `doc_text(doc)` returns it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from spacy import util
from spacy.tokenizer import Tokenizer
from spacy.util import registry

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

TEXT_KEY = "chartroom_text"  # doc.user_data: the doc's text, set by whoever made the doc
WHITESPACE_SPECIALS = (" ", "\t", "\n")  # English special cases equal to the default tokenization
TOKENIZER = "chartroom.CachingTokenizer.v1"
CONFIG = {"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}}  # for spacy.blank(lang, config=...)


def create_caching_tokenizer() -> Callable[[Language], Tokenizer]:
    """spaCy's "spacy.Tokenizer.v1" for the language, without the white-space special cases."""

    def tokenizer_factory(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        rules = {
            key: value
            for key, value in (defaults.tokenizer_exceptions or {}).items()
            if key not in WHITESPACE_SPECIALS
        }
        prefixes, suffixes, infixes = defaults.prefixes, defaults.suffixes, defaults.infixes
        return Tokenizer(
            nlp.vocab,
            rules=rules,
            prefix_search=util.compile_prefix_regex(prefixes).search if prefixes else None,
            suffix_search=util.compile_suffix_regex(suffixes).search if suffixes else None,
            infix_finditer=util.compile_infix_regex(infixes).finditer if infixes else None,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )

    return tokenizer_factory


registry.tokenizers.register(TOKENIZER, func=create_caching_tokenizer)


def doc_text(doc: Doc) -> str:
    """The text of `doc`: the copy kept in doc.user_data[TEXT_KEY], else Doc.text."""
    text = doc.user_data.get(TEXT_KEY)
    return text if isinstance(text, str) else doc.text
