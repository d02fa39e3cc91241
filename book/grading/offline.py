"""Feedback pages that work offline: math as MathML, nothing loaded from the network.

nbgrader's feedback template (``feedback/index.html.j2``) loads MathJax 2 from a CDN to typeset
the ``$...$`` of the statements in the student's browser; that is the only thing it fetches
(its bootstrap CSS is inlined, and it replaces nbconvert's header, so no require.js, jQuery or
mermaid). Students open the pages from disk, often offline. ``OfflineHTMLExporter`` converts
the TeX to MathML when the page is written (with ``latex2mathml``, pure Python) and drops the
MathJax script: browsers render MathML natively (Chromium and Edge 109+, Firefox, Safari), so a
page stays self-contained and grows by a few kilobytes, instead of carrying a MathJax build
(megabytes per page, times hundreds of students and twelve assignments).

Converted: math in markdown cells, in markdown outputs and in graders' comments (all pass
through ``markdown2html``), and ``text/latex`` outputs (sympy, ``IPython.display.Math``).
TeX that ``latex2mathml`` cannot convert is shown as code, with a warning in the log.
"""
import copy
import html
import re

from bs4 import BeautifulSoup, Comment
from jinja2 import pass_context
from latex2mathml.converter import convert_to_element
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from xml.etree.ElementTree import tostring

# TeX that latex2mathml reads wrongly, rewritten to an equivalent it reads well.
_REWRITES = [(re.compile(r"\\arg(?![A-Za-z])"), r"\\operatorname{arg}"),
             (re.compile(r"\\(begin|end)\{aligned\}"), r"\\\1{split}")]

# mathvariant -> first code point of A, a, 0 and Alpha, alpha in Unicode's mathematical
# alphanumerics (MathML Core renders only mathvariant="normal"; the rest must be characters).
_ALPHANUMERICS = {
    "bold": (0x1D400, 0x1D41A, 0x1D7CE, 0x1D6A8, 0x1D6C2),
    "italic": (0x1D434, 0x1D44E, None, 0x1D6E2, 0x1D6FC),
    "bold-italic": (0x1D468, 0x1D482, None, 0x1D71C, 0x1D736),
    "double-struck": (0x1D538, 0x1D552, 0x1D7D8, None, None),
    "script": (0x1D49C, 0x1D4B6, None, None, None),
    "fraktur": (0x1D504, 0x1D51E, None, None, None),
    "sans-serif": (0x1D5A0, 0x1D5BA, 0x1D7E2, None, None),
    "monospace": (0x1D670, 0x1D68A, 0x1D7F6, None, None),
}
# Letters that Unicode had encoded before (the "holes" of the blocks above).
_HOLES = {"italic": dict(h="ℎ"),
          "double-struck": dict(C="ℂ", H="ℍ", N="ℕ", P="ℙ", Q="ℚ", R="ℝ", Z="ℤ"),
          "script": dict(B="ℬ", E="ℰ", F="ℱ", H="ℋ", I="ℐ", L="ℒ", M="ℳ", R="ℛ", e="ℯ", g="ℊ",
                         o="ℴ"),
          "fraktur": dict(C="ℭ", H="ℌ", I="ℑ", R="ℜ", Z="ℨ")}
_RANGES = [("A", 26, 0), ("a", 26, 1), ("0", 10, 2), ("Α", 25, 3), ("α", 25, 4)]

_STYLE = ('math [mathvariant="bold"], math [mathvariant="bold-italic"] {font-weight: bold}\n'
          'code.tex-math {color: #a00}\n')
_REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
_REMOTE_IMPORT = re.compile(r"\bimport\b[^;]*?[\"'](https?:)?//", re.I)   # import x from "https://..."


def _styled(text, variant):
    """``text`` in Unicode's mathematical ``variant`` letters, or None if one has none."""
    starts, out = _ALPHANUMERICS[variant], []
    for char in text:
        mapped = _HOLES.get(variant, {}).get(char)
        for first, size, column in _RANGES:
            if mapped is None and starts[column] and 0 <= ord(char) - ord(first) < size:
                mapped = chr(starts[column] + ord(char) - ord(first))
        if mapped is None:
            return None
        out.append(mapped)
    return "".join(out)


def tex_to_mathml(tex, display=False):
    """MathML for the TeX ``tex`` (without delimiters), as a string; raises ValueError for
    TeX that latex2mathml cannot read or reads into something no browser renders."""
    source = tex
    for pattern, replacement in _REWRITES:
        source = pattern.sub(replacement, source)
    try:
        math = convert_to_element(source, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many kinds on bad input
        raise ValueError(f"{type(error).__name__}: {error}") from error
    del math.attrib["xmlns"]            # the HTML parser knows <math>
    math.set("alttext", tex.strip())    # for screen readers and copying
    for node in math.iter():
        # latex2mathml writes characters as entity text ("&#x0003D;"): make them characters,
        # so that ElementTree escapes what must be escaped (a "<" in \text{...}, an "&").
        node.text = html.unescape(node.text) if node.text else node.text
        node.tail = html.unescape(node.tail) if node.tail else node.tail
        variant = node.get("mathvariant")
        if variant in _ALPHANUMERICS and node.text and len(node) == 0:
            styled = _styled(node.text, variant)
            if styled:
                node.text = styled
                del node.attrib["mathvariant"]
        unknown = (node.tag == "mi" and (node.text or "").startswith("\\")
                   or node.get("linebreak") == "newline")
        if unknown:
            raise ValueError(f"not supported: {node.text or 'a line break outside a table'}")
    return tostring(math, encoding="unicode")


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, with the math it finds written as MathML."""

    def __init__(self, *args, log=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log

    def _math(self, tex, display, delimited):
        try:
            return tex_to_mathml(tex, display)
        except ValueError as error:
            if self.log:
                self.log.warning("Math left as TeX in the feedback (%s): %s", error, delimited)
            return f'<code class="tex-math">{self.escape_html(delimited)}</code>'

    def inline_math(self, body):
        return self._math(body, False, f"${body}$")

    def block_math(self, body):
        return self._math(body, True, f"$${body}$$")

    def latex_environment(self, name, body):
        tex = f"\\begin{{{name}}}{body}\\end{{{name}}}"
        return self._math(tex, True, tex)


_DELIMITED = re.compile(r"^\s*(?:\$\$(?P<a>[^$]+)\$\$|\$(?P<b>[^$]+)\$|\\\[(?P<c>.+)\\\]|\\\((?P<d>.+)\\\)"
                        r"|(?P<e>\\begin\{(?P<env>[a-z]+\*?)\}.*\\end\{(?P=env)\}))\s*$", re.S)


class OfflineHTMLExporter(HTMLExporter):
    """HTMLExporter for feedback that renders offline: math as MathML, no MathJax, and no
    script or stylesheet from the network (a warning names anything else that would load)."""

    @pass_context
    def markdown2html(self, context, source):
        """HTMLExporter.markdown2html, with MathMLRenderer."""
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            log=self.log, **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def from_notebook_node(self, nb, resources=None, **kw):
        nb = copy.deepcopy(nb)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                self._latex_output_to_mathml(output)
        page, resources = super().from_notebook_node(nb, resources, **kw)
        return self._offline(page), resources

    def _latex_output_to_mathml(self, output):
        """Give a text/latex output that is one formula a text/html MathML version (which
        the template prefers to text/latex)."""
        data = output.get("data", {})
        match = _DELIMITED.match(data.get("text/latex", ""))
        if match and "text/html" not in data:
            tex = next(group for group in match.group("a", "b", "c", "d", "e") if group)
            try:
                data["text/html"] = tex_to_mathml(tex, display=not match.group("b"))
            except ValueError as error:
                self.log.warning("A text/latex output is left as TeX in the feedback: %s", error)

    def _offline(self, page):
        soup = BeautifulSoup(page, features="html.parser")
        for script in soup.find_all("script"):   # MathJax; in other templates require.js,
            if (script.get("type") == "text/x-mathjax-config"   # jQuery and mermaid too
                    or _REMOTE.match(script.get("src", "")) or _REMOTE_IMPORT.search(script.text)):
                script.decompose()
        for link in soup.find_all("link", href=_REMOTE):
            link.decompose()
        for comment in soup.find_all(string=lambda text: isinstance(text, Comment)
                                     and "mathjax" in text.lower()):
            comment.extract()
        if soup.head:
            style = soup.new_tag("style")
            style.string = _STYLE
            soup.head.append(style)
        remote = sorted({element.get(attribute) for element in soup.find_all(True)
                         for attribute in ("src", "data", "poster")
                         if _REMOTE.match(element.get(attribute) or "")})
        remote += sorted(set(re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", page, re.I)))
        if remote:
            self.log.warning("This feedback page loads from the network: %s", ", ".join(remote))
        return str(soup)
