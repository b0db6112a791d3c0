"""argparse types: good values pass through, bad ones raise ArgumentTypeError with a clear reason."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pytest

from codestral_ls.arguments import non_negative_float, port_number, positive_int, share, sizes_list, ttft_range

GOOD: list[tuple[Callable[[str], Any], str, Any]] = [
    (positive_int, "1", 1),
    (positive_int, "300", 300),
    (non_negative_float, "0", 0.0),
    (non_negative_float, "12.5", 12.5),
    (share, "0.1", 0.1),
    (share, "1", 1.0),
    (sizes_list, "1000,10000", [1000, 10000]),
    (sizes_list, " 500 , ", [500]),
    (ttft_range, "150,600", "150,600"),
    (ttft_range, "0,0", "0,0"),
    (port_number, "0", 0),
    (port_number, "65535", 65535),
]
BAD: list[tuple[Callable[[str], Any], str, str]] = [
    (positive_int, "0", "must be at least 1, got 0"),
    (positive_int, "-5", "must be at least 1, got -5"),
    (positive_int, "2.5", "expected a whole number, got '2.5'"),
    (positive_int, "", "expected a whole number"),
    (non_negative_float, "-0.1", "must be a number >= 0"),
    (non_negative_float, "inf", "must be a number >= 0"),
    (non_negative_float, "nan", "must be a number >= 0"),
    (non_negative_float, "fast", "expected a number, got 'fast'"),
    (share, "1.01", "must be between 0 and 1"),
    (sizes_list, ",", "expected sizes in lines"),
    (sizes_list, "1000,abc", "expected a whole number, got 'abc'"),
    (sizes_list, "0", "must be at least 1"),
    (ttft_range, "600,150", "MIN must not exceed MAX"),
    (ttft_range, "150", "expected MIN,MAX"),
    (ttft_range, "-1,5", "must be a number >= 0"),
    (port_number, "65536", "a port is 0 (any free port) to 65535, got 65536"),
    (port_number, "-1", "a port is 0 (any free port) to 65535"),
    (port_number, "http", "expected a port number, got 'http'"),
]


@pytest.mark.parametrize(("parse", "text", "value"), GOOD, ids=[f"{p.__name__}({t!r})" for p, t, _ in GOOD])
def test_good_values_pass(parse: Callable[[str], Any], text: str, value: Any) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(("parse", "text", "why"), BAD, ids=[f"{p.__name__}({t!r})" for p, t, _ in BAD])
def test_bad_values_say_why(parse: Callable[[str], Any], text: str, why: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        parse(text)
    assert why in str(caught.value)
