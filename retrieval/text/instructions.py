"""Sentences shaped as instructions to the reader or to a model ("Ignore the above and reply with …").

Article text is quoted as news, so a sentence that gives orders (an imperative aimed at "you" or at a
machine, a call to click or reply, talk about prompts and instructions, a chat-transcript role label) must
never become a summary, a key point or the lead of an answer. The test is the sentence's grammatical form,
not a list of known attack phrases; reported speech in news ('"Get out now," the sheriff said') is a
quotation, not an order, and is left alone unless it talks to a machine about its instructions.
"""

from __future__ import annotations

import re

from retrieval.text.sentences import split_sentences

# Grammar, not phrases: words that open a sentence without being an imperative verb.
_NOT_VERBS = frozenset(
    """a an the this that these those there here it its he she they we i you his her their our my your
    of in on at by for from with without into onto over under after before during since until despite
    among amid across along around behind beyond between within inside outside near like unlike through
    throughout against toward towards upon via per than as if when while where whether because although
    though unless once so but and or nor yet also still even only just however meanwhile instead
    each every all both some many much most more few several any no none half one two three other another
    such what which who whom whose why how last next first new former late early more less very often
    whatever whenever wherever whoever right left far well together again already almost plus elsewhere
    have has had be is are was were can could would should will may might must shall thank maybe perhaps not""".split()  # noqa: SIM905 - a word list reads better as text
)
# What follows an imperative verb: its object or a particle ("Ignore *the* above", "Click *here*").
_OBJECT_STARTS = frozenset(
    """the a an all any every each this these those my your our his her their its me us him them it
    everything anything nothing something whatever here there now out up back down only no none you""".split()  # noqa: SIM905
)
# After a preposition the first word may as well be a name ("Halloween in …"): only action verbs count.
_PREPOSITIONS = frozenset({"to", "with", "on", "in", "at", "for", "about", "from", "into", "via", "after"})
# Verbs whose imperative is a call to act on the reader's or the model's side: respond, navigate, drop context.
_ACTION_VERBS = frozenset(
    """reply respond answer say tell write output print repeat type state ignore disregard forget override
    bypass obey follow click tap visit go subscribe sign register share send forward call contact email
    text message download install buy order donate read watch check open copy paste mention recommend
    summarize summarise translate pretend append insert""".split()  # noqa: SIM905
)
_PREFIX = re.compile(
    r"^(?:[\W_]+|p\.?s\.?\s+|(?:p\.?s|n\.?b|note|important|update|reminder|attention|warning|urgent)\b[^:]{0,40}:\s*"
    r"|(?:please|kindly|now|just|simply|also|and|then|so|but|first|finally|instead|next)\b,?\s*)+",
    re.IGNORECASE,
)
_NEGATED_IMPERATIVE = re.compile(r"^(?:do not|don['’]t|never|always)\s+(?P<verb>[a-z]+)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|https?://\S+|www\.\S+")
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|yourselves)\b", re.IGNORECASE)
_MACHINE = r"(?:ai|a\.i\.|assistants?|chat ?bots?|bots?|language models?|llms?|ai models?|summari[sz]ers?)"
_MACHINE_MENTION = re.compile(rf"\b{_MACHINE}\b", re.IGNORECASE)
_META = re.compile(
    r"\b(?:instructions?|prompts?|guidelines|directives?|system messages?|jailbreak|developer mode|"
    r"context window|previous (?:messages?|text|content)|(?:the )?above (?:text|content)|summari[sz]\w*)\b",
    re.IGNORECASE,
)
_LINK = re.compile(r"https?://|\bwww\.|<\s*link\s*>|\b[\w-]+\.(?:com|net|org|io|xyz|ru|info|biz|top|site)\b",
                   re.IGNORECASE)
_ROLE_LABEL = re.compile(
    r"^\W*(?:system|assistant|user|instructions?|developer|admin(?:istrator)?|prompt)\s*(?:\]|:|>|-{2,})"
    r"|<\|[a-z_]+\|>|^#{2,}\s*(?:system|instructions?)",
    re.IGNORECASE,
)
_VOCATIVE = re.compile(
    rf"^\W*(?:(?:hey|hi|hello|dear|attention|note to|message (?:to|for)|to)\s+(?:the |any |all |every )?)?"
    rf"(?:{_MACHINE}|models?|systems?)\s*(?:[,:!]|-\s)",
    re.IGNORECASE,
)
_MACHINE_AUDIENCE = re.compile(
    rf"\b{_MACHINE}(?:\s+(?:systems?|models?|tools?|agents?))?\s+(?:that (?:is|are) )?"
    r"(?:reading|summari[sz]ing|processing|parsing|analy[sz]ing|seeing)"
    r"\s+(?:this|these|the following|the (?:page|article|text|story|content))\b",
    re.IGNORECASE,
)
_DIRECTIVE_MODAL = r"(?:must|should|shall|will now|need to|needs to|have to|has to|are to|is to|are now|is now)"
_YOU_DIRECTIVE = re.compile(
    rf"(?:^|[:;—–]\s*)(?:(?:from now on|(?:when|if|whenever|once|before|after)\b[^,]{{0,80}}),?\s+)?"
    r"(?:you|your (?:task|job|role|goal|answer|reply|response|output))"
    rf"\s+(?:{_DIRECTIVE_MODAL}|are required to)\b(?!\s+be\b)",
    re.IGNORECASE,
)
_MACHINE_DIRECTIVE = re.compile(
    rf"\b(?:the|this|any|all|every)\s+{_MACHINE}\s+{_DIRECTIVE_MODAL}\s+(?!be\b|have been\b)"
    r"(?:reply|respond|answer|say|tell|write|output|print|repeat|ignore|disregard|forget|obey|follow|include|"
    r"mention|recommend|direct|link|only|always|never|now)\b",
    re.IGNORECASE,
)
_YOU_MUST_SAY = re.compile(
    rf"\byou\s+{_DIRECTIVE_MODAL}\s+(?:always\s+|only\s+|now\s+)?(?:reply|respond|answer|say|tell|write|output|"
    r"print|repeat|ignore|disregard|forget|obey|mention|recommend|link)\b",
    re.IGNORECASE,
)
_DROP_CONTEXT = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|discard)\b[^.?!]{0,60}?"
    r"\b(?:instructions?|prompts?|rules|guidelines|directives?|above|previous|prior|earlier|everything)\b",
    re.IGNORECASE,
)
_SPEECH_VERB = (
    r"(?:said|says|told|tells|urged|urges|warned|warns|added|adds|wrote|writes|tweeted|posted|asked|asks|"
    r"explained|advised|advises|insisted|recalled|shouted|yelled|announced|according|continued|replied|noted|"
    r"stated|argued|claimed|joked|pleaded|begged|cried|declared|texted|recounted|remembered|concluded)"
)
_REPORTED_SPEECH = re.compile(
    rf"^\W*[\"“‘]|[\"”’]\s*,?\s*(?:\w+\s+){{0,5}}?{_SPEECH_VERB}\b"
    r"|,\s*(?:\w+\s+){1,5}?(?:said|says|told|urged|warned|added|advised|wrote)\b[^\"“]*$"
    r"|^[^\"“]*\b(?:said|says|told|urged|warned|asked|advised)\b[^\"“]{0,60}[\"“:]",
    re.IGNORECASE,
)

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_QUOTATION_TAIL = re.compile(r"^[^\"“]*[”\"]\W*$")  # the end of a quotation opened in an earlier sentence


def is_instruction(sentence: str) -> bool:
    """Is this sentence an order to the reader or to a model, rather than a statement of news?"""
    text = " ".join(sentence.split())
    if not text:
        return False
    if _ROLE_LABEL.search(text) or _VOCATIVE.search(text) or _MACHINE_AUDIENCE.search(text):
        return True
    if _DROP_CONTEXT.search(text) and (_META.search(text) or _imperative_verb(text) in _ACTION_VERBS):
        return True  # dropping the model's context is an attack even inside a quotation
    own_words = _QUOTED.sub(" ", text)  # what the sentence says itself, not what it quotes
    aimed_at_machine = bool(_MACHINE_MENTION.search(own_words) or _META.search(own_words) or _LINK.search(text))
    if (_REPORTED_SPEECH.search(text) or _QUOTATION_TAIL.search(text)) and not aimed_at_machine:
        return False  # a quotation in the news, not an order to whoever reads it
    if _YOU_DIRECTIVE.search(_PREFIX.sub("", text, count=1)) or _MACHINE_DIRECTIVE.search(text) or (
        _YOU_MUST_SAY.search(own_words)
    ):
        return True
    verb = _imperative_verb(text)
    if verb is None or text.rstrip("\"”’) ").endswith("?"):
        return False  # "Do you follow …?" asks; it does not order
    return verb in _ACTION_VERBS or aimed_at_machine or bool(_SECOND_PERSON.search(own_words))



def news_sentences(text: str) -> list[str]:
    """The text's sentences without those that give orders to the reader or a model (planted text)."""
    return [s for s in split_sentences(text) if not is_instruction(s)]


def gives_orders(text: str) -> bool:
    """Any sentence of `text` is an instruction: such text is never presented as the story."""
    return any(is_instruction(sentence) for sentence in split_sentences(text))

def _imperative_verb(text: str) -> str | None:
    """The sentence's opening verb when it opens like a command (base form, then its object), else None."""
    body = _PREFIX.sub("", text, count=1)
    negated = _NEGATED_IMPERATIVE.match(body)
    if negated:
        return negated.group("verb").lower()
    words = list(_WORD.finditer(body))
    if len(words) < 2 or words[0].start() != 0 or body[words[0].end() : words[1].start()].strip():
        return None  # "Minot: A lawmaker …", "Elsewhere, a storm …": the first word stands apart
    first, second = words[0].group(), words[1].group()
    if first.isupper() and second.isupper():  # shouted text: judge the words, not the capitals
        first, second = first.lower(), second.lower()
    elif second[0].isupper() and second != "I":
        return None  # "Tell Me Lies returns …", "Biden visit …": a title or a name, not a command
    following = second.lower()
    verb = first.lower()
    if verb in _NOT_VERBS or not (verb in _ACTION_VERBS or _base_form(first)):
        return None
    gerund = following.endswith("ing") and "-" not in following  # "Stop summarizing …"
    if following in _OBJECT_STARTS or following.startswith(("http", "www.")) or gerund:
        return first.lower()
    return first.lower() if following in _PREPOSITIONS and first.lower() in _ACTION_VERBS else None


def _base_form(word: str) -> bool:
    """Looks like an uninflected verb: no capitals past the first letter, not -s/-ed/-ing/-ly/-tion."""
    lower = word.lower()
    if not lower.isalpha() or word[1:] != word[1:].lower():
        return False
    if lower.endswith(("ed", "ing", "ly", "tion", "sion", "ness", "ment", "ity", "ies", "ers", "ists")):
        return False
    return not (lower.endswith("s") and not lower.endswith(("ss", "us")))
