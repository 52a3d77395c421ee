"""The interface is complete in Simplified Chinese and English, without gettext installed.

The .po catalogues are read with a small parser below and the compiled .mo files with
Python's own `gettext`, so a missing translation, a fuzzy entry, a forgotten
`compilemessages` or a string marked for translation but never extracted fails here.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

import policydesk
from policydesk.org.models import Role

SOURCE_ROOT = Path(policydesk.__file__).resolve().parent
LOCALE_ROOT = SOURCE_ROOT / "locale"
LANGUAGES = ("zh_Hans", "en")
# makemessages runs with --ignore 'demo/*': the demo loader is not part of the interface.
IGNORED_DIRECTORIES = ("demo", "locale")


# --- A small .po parser -------------------------------------------------------------------


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(text: str, where: str) -> str:
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"{where}: not a quoted string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[PoEntry]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr / msgstr[n] and flags.

    Strings may continue over several quoted lines. Translator, extracted and reference
    comments are skipped; obsolete entries (``#~``) are dropped.
    """
    entries: list[PoEntry] = []
    current: PoEntry | None = None
    target: tuple[str, int | None] | None = None  # which field continuation lines extend
    seen_msgstr = False

    def finish() -> None:
        nonlocal current, target, seen_msgstr
        if current is not None and (seen_msgstr or current.msgid or current.msgid_plural):
            entries.append(current)
        current, target, seen_msgstr = None, None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path}:{number}"
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if seen_msgstr:  # a comment after msgstr starts the next entry
                finish()
            if current is None:
                current = PoEntry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3), where)
            if keyword in ("msgctxt", "msgid") and seen_msgstr:
                finish()
            if current is None:
                current = PoEntry(line=number)
            if keyword == "msgid":
                current.line = number
            if keyword.startswith("msgstr"):
                seen_msgstr = True
                slot = int(index) if index is not None else 0
                current.msgstr[slot] = value
                target = ("msgstr", slot)
            else:
                setattr(current, keyword, value)
                target = (keyword, None)
            continue
        if line.startswith('"') and current is not None and target is not None:
            value = _unquote(line, where)
            name, slot = target
            if name == "msgstr":
                assert slot is not None
                current.msgstr[slot] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        raise ValueError(f"{where}: cannot parse {raw!r}")
    finish()
    return entries


def po_path(language: str) -> Path:
    return LOCALE_ROOT / language / "LC_MESSAGES" / "django.po"


def mo_path(language: str) -> Path:
    return LOCALE_ROOT / language / "LC_MESSAGES" / "django.mo"


def messages(language: str) -> list[PoEntry]:
    return [entry for entry in parse_po(po_path(language)) if not entry.is_header]


def header(language: str) -> dict[str, str]:
    entry = next(entry for entry in parse_po(po_path(language)) if entry.is_header)
    pairs = (line.split(":", 1) for line in entry.msgstr.get(0, "").splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def nplurals(language: str) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header(language).get("Plural-Forms", ""))
    assert match, f"{po_path(language)}: the header has no Plural-Forms"
    return int(match.group(1))


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\w*\}")


# --- Completeness of the catalogues --------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_a_catalogue_and_its_compiled_file(language: str) -> None:
    assert po_path(language).is_file(), f"{po_path(language)} is missing: run makemessages"
    assert mo_path(language).is_file(), f"{mo_path(language)} is missing: run compilemessages"
    assert len(messages(language)) > 100


def test_the_parser_reads_multi_line_and_plural_entries(tmp_path: Path) -> None:
    sample = tmp_path / "sample.po"
    sample.write_text(
        "# translator comment\n"
        'msgid ""\n'
        'msgstr ""\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n'
        "\n"
        "#. extracted comment\n"
        "#, fuzzy, python-format\n"
        'msgid ""\n'
        '"A long message, "\n'
        '"on two lines for %(name)s"\n'
        'msgstr "一条 \\"长\\" 消息"\n'
        "#, python-format\n"
        'msgctxt "menu"\n'
        'msgid "%(n)s item"\n'
        'msgid_plural "%(n)s items"\n'
        'msgstr[0] ""\n'
        '"%(n)s 项"\n'
        "\n"
        '#~ msgid "Obsolete"\n'
        '#~ msgstr "过时"\n',
        encoding="utf-8",
    )
    head, long, plural = parse_po(sample)
    assert head.is_header and "nplurals=1" in head.msgstr[0]
    assert long.msgid == "A long message, on two lines for %(name)s"
    assert long.msgstr == {0: '一条 "长" 消息'}
    assert long.flags == {"fuzzy", "python-format"}
    assert (plural.msgctxt, plural.msgid, plural.msgid_plural) == (
        "menu",
        "%(n)s item",
        "%(n)s items",
    )
    assert plural.msgstr == {0: "%(n)s 项"}
    assert "fuzzy" not in plural.flags


def test_every_zh_hans_message_is_translated() -> None:
    forms = nplurals("zh_Hans")
    assert forms == 1, "Chinese has a single plural form"
    untranslated = []
    for entry in messages("zh_Hans"):
        expected = range(forms) if entry.msgid_plural is not None else range(1)
        if sorted(entry.msgstr) != list(expected) or not all(entry.msgstr.values()):
            untranslated.append(entry.label)
    assert not untranslated, "untranslated in zh_Hans django.po:\n" + "\n".join(untranslated)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_fuzzy(language: str) -> None:
    fuzzy = [entry.label for entry in parse_po(po_path(language)) if "fuzzy" in entry.flags]
    assert not fuzzy, f"fuzzy entries in {language} django.po:\n" + "\n".join(fuzzy)


def test_zh_hans_translations_keep_every_placeholder() -> None:
    broken = []
    for entry in messages("zh_Hans"):
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for translated in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(translated)) != wanted:
                broken.append(f"{entry.label} -> {translated!r}")
    assert not broken, "placeholders differ from the source:\n" + "\n".join(broken)


def test_the_english_catalogue_holds_the_same_messages_and_is_complete() -> None:
    def keys(language: str) -> set[tuple[str | None, str]]:
        return {(entry.msgctxt, entry.msgid) for entry in messages(language)}

    only_en, only_zh = keys("en") - keys("zh_Hans"), keys("zh_Hans") - keys("en")
    assert not (only_en or only_zh), (
        f"catalogues differ (run makemessages -l zh_Hans -l en together): "
        f"only in en {sorted(only_en, key=str)}, only in zh_Hans {sorted(only_zh, key=str)}"
    )
    empty = [entry.label for entry in messages("en") if not all(entry.msgstr.values())]
    assert not empty, "empty msgstr in en django.po (use the msgid):\n" + "\n".join(empty)


# --- The compiled .mo files match the .po files --------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language: str) -> None:
    with mo_path(language).open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    forms = nplurals(language)
    stale = []
    for entry in messages(language):
        prefix = f"{entry.msgctxt}\x04" if entry.msgctxt is not None else ""
        if entry.msgid_plural is None:
            found = compiled._catalog.get(prefix + entry.msgid)  # type: ignore[attr-defined]
            if found != entry.msgstr[0]:
                stale.append(f"{entry.label}: .mo has {found!r}")
            continue
        for n in (1, 2, 5):
            if entry.msgctxt is None:
                found = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                found = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            index = compiled.plural(n)  # type: ignore[attr-defined]
            if index >= forms or found != entry.msgstr.get(index):
                stale.append(f"{entry.label} (n={n}): .mo has {found!r}")
    # Nothing in the .mo that the .po no longer has (the header is stored under "").
    in_po = {
        (f"{entry.msgctxt}\x04" if entry.msgctxt is not None else "") + entry.msgid
        for entry in messages(language)
    }
    extra = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog} - in_po  # type: ignore[attr-defined]
    stale += [f"only in the .mo: {key!r}" for key in sorted(extra - {""})]
    assert not stale, f"{mo_path(language)} is out of date; run compilemessages:\n" + "\n".join(
        stale
    )


# --- Every string marked in the source is in the catalogue ---------------------------------


def _source_files(pattern: str) -> list[Path]:
    return sorted(
        path
        for path in SOURCE_ROOT.rglob(pattern)
        if not set(path.relative_to(SOURCE_ROOT).parts[:-1]) & set(IGNORED_DIRECTORIES)
    )


TRANSLATE_TAG = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?P<quote>["'])(?P<text>.*?)(?P=quote)[^%]*%\}"""
)
UNDERSCORE_IN_TEMPLATE = re.compile(r"""\b_\((?P<quote>["'])(?P<text>.*?)(?P=quote)\)""")
BLOCK_TRANSLATE = re.compile(
    r"\{%\s*blocktrans(?:late)?(?P<options>(?:[^%]|%(?!\}))*)%\}"
    r"(?P<body>.*?)"
    r"\{%\s*endblocktrans(?:late)?\s*%\}"
)
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}
NGETTEXT_FUNCTIONS = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}


def _blocktranslate_msgid(options: str, body: str) -> str | None:
    """The msgid Django extracts from a one-line blocktranslate, or None if not simple."""
    if "{% plural %}" in body or re.search(r"\bcount\b", options) or "{%" in body:
        return None
    text = body.replace("%", "%%")
    text = TEMPLATE_VARIABLE.sub(lambda m: f"%({m.group(1)})s", text)
    if "trimmed" in options.split():
        text = " ".join(text.split())
    return text


def template_strings() -> list[tuple[str, str]]:
    """(location, msgid) for every simple translatable string in the templates."""
    found = []
    for path in _source_files("*.html"):
        if "templates" not in path.relative_to(SOURCE_ROOT).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.relative_to(SOURCE_ROOT)}:{number}"
            for match in TRANSLATE_TAG.finditer(line):
                found.append((where, match.group("text")))
            for match in UNDERSCORE_IN_TEMPLATE.finditer(line):
                found.append((where, match.group("text")))
            for match in BLOCK_TRANSLATE.finditer(line):
                msgid = _blocktranslate_msgid(match.group("options"), match.group("body"))
                if msgid is not None:
                    found.append((where, msgid))
    return found


def _function_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literals(arguments: list[ast.expr]) -> list[str] | None:
    if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in arguments):
        return None
    return [a.value for a in arguments]  # type: ignore[attr-defined]


def python_strings() -> list[tuple[str, str]]:
    """(location, msgid) for every gettext call with literal arguments in the Python code."""
    found = []
    for path in _source_files("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _function_name(node.func)
            where = f"{path.relative_to(SOURCE_ROOT)}:{node.lineno}"
            if name in GETTEXT_FUNCTIONS:
                context = 1 if name.startswith("pgettext") else 0
                literals = _literals(node.args[context : context + 1])
                if literals:
                    found.append((where, literals[0]))
            elif name in NGETTEXT_FUNCTIONS:
                context = 1 if name.startswith("npgettext") else 0
                literals = _literals(node.args[context : context + 2])
                if literals and len(literals) == 2:
                    found += [(where, literals[0]), (where, f"{literals[0]}\0{literals[1]}")]
    return found


def test_the_string_extraction_finds_known_strings() -> None:
    from_templates = {text for _where, text in template_strings()}
    from_python = {text for _where, text in python_strings()}
    assert {"Sign in", "Withdraw", "Whole company", "Welcome, %(name)s"} <= from_templates
    assert "Last run %(when)s: %(status)s." in from_templates
    assert {"Front teller", "Username", "Account %(name)s created."} <= from_python
    assert (
        "Too many failed attempts. This account is locked for a while; "
        "ask an administrator if you need in sooner."
    ) in from_python


def test_every_string_marked_in_the_source_is_in_the_zh_hans_catalogue() -> None:
    known = set()
    for entry in messages("zh_Hans"):
        known.add(entry.msgid)
        if entry.msgid_plural is not None:
            known.add(f"{entry.msgid}\0{entry.msgid_plural}")
    missing = [
        f"{where}: {text!r}"
        for where, text in template_strings() + python_strings()
        if text not in known
    ]
    assert not missing, (
        "marked for translation but missing from locale/zh_Hans/LC_MESSAGES/django.po "
        "(run makemessages, translate, compilemessages):\n" + "\n".join(missing)
    )


# --- The running site speaks both languages ------------------------------------------------


def test_the_messages_translate_to_chinese_and_back_to_english() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Sign in") == "登录"
        assert str(Role.FRONT_TELLER.label) == "前台柜员"
        assert str(Role.CLAIMS_HANDLER.label) == "理赔专员"
        assert translation.gettext("Audit trail") == "审计日志"
        assert translation.gettext("Permission matrix") == "权限矩阵"
        singular = "As %(role)s you may perform %(counter)s action."
        plural = "As %(role)s you may perform %(counter)s actions."
        several = translation.ngettext(singular, plural, 3)
        assert several.startswith("作为%(role)s") and several.endswith("%(counter)s 项操作。")
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
        assert str(Role.FRONT_TELLER.label) == "Front teller"
        assert translation.ngettext(singular, plural, 3) == plural


def test_the_login_page_is_in_chinese_by_default(db: Any) -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录 PolicyDesk" in page
    assert "用户名" in page and "密码" in page
    assert "Sign in" not in page


def test_the_login_page_is_in_english_when_the_language_cookie_says_so(db: Any) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Sign in to PolicyDesk" in page
    assert "Username" in page and "Password" in page
    assert "登录" not in page
