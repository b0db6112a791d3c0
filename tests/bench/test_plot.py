"""The hand-written SVG fallback of the economy plot is well-formed and shows every series."""

from __future__ import annotations

import xml.dom.minidom

from codestral_ls.bench.plot import _svg


def test_svg_fallback_is_well_formed() -> None:
    svg = _svg(
        ["a.py", "b.py"], {"ours": [1.0, 300.0], "tabby <1.5>": [450.0]}, {"ours": [3, 4], "tabby <1.5>": [10, 12]}
    )
    document = xml.dom.minidom.parseString(svg)
    assert len(document.getElementsByTagName("polyline")) == 2
    assert len(document.getElementsByTagName("rect")) == 2 + 4  # background, frame, four bars
    assert "tabby &lt;1.5&gt;" in svg
