"""Issue 10, items 2 and 3: the one sanitiser (`retrieval.text.sanitise`), attack by attack, several phrasings each.

Every case is text an article, a feed or a model could carry; the allowed host is the cited article's own.
"""

from __future__ import annotations

import pytest

from retrieval.text.sanitise import safe_url, sanitise, sanitise_line, strip_controls, url_host

CITED = "https://news.example/2024/06/story"
EVIL = "evil.example"


@pytest.mark.parametrize("text", [
    "Read the [official notice](https://evil.example/notice) today.",
    "Read the [official notice](<https://evil.example/notice>) today.",
    'Read the [official notice](https://evil.example/notice "News Example") today.',
    "Read the [official notice]( https://evil.example/notice ) today.",
    "Read the [official notice](HTTPS://EVIL.EXAMPLE/notice) today.",
    "Read the [official notice](//evil.example/notice) today.",
    "Read the ![official notice](https://evil.example/pixel.png) today.",
    "Read the [**official** notice](https://evil.example/a_(b)) today.",
])
def test_a_masked_link_to_another_host_keeps_only_its_words(text: str) -> None:
    cleaned = sanitise(text, [CITED])
    assert EVIL not in cleaned.lower() and "](" not in cleaned
    assert cleaned.startswith("Read the") and cleaned.endswith("today.")


@pytest.mark.parametrize("text", [
    "Officials confirmed it [[2]](https://evil.example/fake).",
    "Officials confirmed it [[1, 2]](https://evil.example/fake).",
    "Officials confirmed it [[3]](<https://news.example.attacker.example/x>).",
    "Officials confirmed it [[2]](https://news.example/other).",  # even to the cited host: it poses as a citation
])
def test_a_fake_citation_link_is_dropped_whole(text: str) -> None:
    cleaned = sanitise(text, [CITED])
    assert cleaned == "Officials confirmed it."


@pytest.mark.parametrize("url", [
    "https://evil.example/x",
    "<https://evil.example/x>",
    "http://[2001:db8::1]/x",
    "http://[::ffff:10.0.0.1]:8080/",
    "http://203.0.113.9/path",
    "http://3405803785/",
    "https://news.example@evil.example/x",
    "https://news.example:443@evil.example/",
    "https://evil.example\\@news.example/",
    "https://news.example.evil.example/",
    "https://evil.example#@news.example",
    "HTTPS://EVIL.EXAMPLE./",
    "https://bücher.example/",
    "https://xn--bcher-kva.example/",
    "https://evil。example/",
    "www.evil.example/x",
    "ftp://evil.example/file",
    "///evil.example/x",
    "javascript://evil.example/%0aalert%281%29",
])
def test_a_bare_url_to_another_host_is_removed(url: str) -> None:
    cleaned = sanitise(f"Details at {url} now.", [CITED])
    assert cleaned == "Details at now.", cleaned
    assert "://" not in cleaned and "evil" not in cleaned.lower()


@pytest.mark.parametrize("url", [
    "https://news.example/2024/06/story",
    "https://NEWS.example/other-page",
    "https://news.example./other-page",
    "http://www.news.example/other-page",
])
def test_a_link_to_the_cited_articles_own_host_stays(url: str) -> None:
    assert url in sanitise(f"Details at {url} now.", [CITED])
    assert f"[the report]({url})" in sanitise(f"See [the report]({url}).", [CITED])


def test_hosts_compare_as_a_browser_reads_them() -> None:
    punycode = "xn--bcher-kva.example"
    assert url_host("https://BÜCHER.example./x") == url_host(f"https://{punycode}/") == punycode
    assert url_host("http://[2001:DB8:0::1]/") == url_host("http://[2001:db8::1]:80/") == "2001:db8::1"
    assert url_host("http://0x7f.1/") == url_host("http://127.0.0.1/") == "127.0.0.1"
    assert url_host("https://news.example@evil.example/") == "evil.example"
    assert url_host("https://evil.example\\@news.example/") is None  # read two ways: never allowed
    assert url_host("https://ne%77s.example/") is None
    assert url_host("javascript:alert(1)") is None
    assert url_host("https://news.example:99999/") is None


def test_an_ipv6_cited_source_keeps_its_own_links_and_no_other() -> None:
    cleaned = sanitise("a http://[2001:db8::1]/x b http://[2001:db8::2]/y c", ["http://[2001:db8:0:0::1]/"])
    assert cleaned == "a http://[2001:db8::1]/x b c"


@pytest.mark.parametrize("url", ["http://evil.example/x", "https://evil.example/a/b?c=1", "www.evil.example/x"])
def test_a_citation_marker_right_after_a_foreign_url_stays(url: str) -> None:
    """Found by the fuzz test: a bracket in a URL's path must not carry the marker away with it."""
    assert sanitise(f"Talks resumed {url}[1] and failed [2].", [CITED]) == "Talks resumed [1] and failed [2]."


@pytest.mark.parametrize("text, expected", [
    ("Click \x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\ now", "Click here now"),
    ("Click \x1b]8;;https://evil.example\x07here\x1b]8;;\x07 now", "Click here now"),
    ("\x1b[2J\x1b[Hscreen cleared\x1b[0m", "screen cleared"),
    ("title\x1b]0;pwned\x07 set", "title set"),
    ("8-bit \x9b31mred\x9b0m and \x9d8;;https://evil.example\x9c", "8-bit red and"),
    ("bell\x07 backspace\x08 del\x7f nul\x00", "bell backspace del nul"),
    ("over\rwrite", "over\nwrite"),
    ("keep\ttab and\nnewline", "keep\ttab and\nnewline"),
])
def test_terminal_escapes_and_controls_are_stripped(text: str, expected: str) -> None:
    assert sanitise(text).strip() == expected
    assert strip_controls(text).count("\x1b") == 0


@pytest.mark.parametrize("text", [
    "safe\u202etxt.exe",  # right-to-left override
    "a\u2066b\u2069c\u2067d\u2068e",  # isolates
    "a\u200bb\u200cc\u200dd\u2060e\ufeff",  # zero-width
    "a\u200e\u200f\u061cb",  # direction marks
    "a\U000e0049\U000e0047\U000e004eb",  # tag characters (invisible "IGN")
])
def test_invisible_and_bidirectional_controls_are_stripped(text: str) -> None:
    cleaned = sanitise(text)
    assert all(ch.isprintable() for ch in cleaned), [hex(ord(c)) for c in cleaned]


def test_a_zero_width_space_cannot_hide_a_link_from_the_filter() -> None:
    assert sanitise("go to htt\u200bps://evil\u200b.example/x now", [CITED]) == "go to now"


def test_length_is_capped() -> None:
    assert len(sanitise("word " * 10_000, max_chars=500)) <= 500
    assert len(sanitise_line("line\n" * 500, max_chars=80)) <= 80 and "\n" not in sanitise_line("a\nb")


@pytest.mark.parametrize("url", [
    "https://news.example/a> [official](https://evil.example/x) <b",
    "https://news.example/a>[x](https://evil.example)",
    "https://news.example/a b",
    "https://news.example/a\nb",
    "https://news.example/a\u202e",
    'https://news.example/"onmouseover',
    "https://evil.example\\@news.example/",
    "javascript:alert(1)",
    "data:text/html,hi",
    "ftp://news.example/x",
    "//news.example/x",
    "https:///nohost",
    "https://news.example:notaport/",
    "https://" + "a" * 3000 + ".example/",
])
def test_a_url_the_bot_would_show_is_refused_unless_plain_http(url: str) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["https://news.example/a?b=c&d=e#f", "http://[2001:db8::1]/x", "https://xn--bcher-kva.example/"])
def test_a_plain_http_url_is_accepted(url: str) -> None:
    assert safe_url(url) == url
