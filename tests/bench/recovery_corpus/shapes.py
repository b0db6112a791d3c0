"""Tiny fixture corpus for the recovery benchmark's smoke test."""


class Rectangle:
    def __init__(self, width, height):
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.height

    def scaled(self, factor):
        if factor <= 0:
            raise ValueError(f"factor must be positive, not {factor}")
        return Rectangle(self.width * factor, self.height * factor)


def total_area(shapes):
    total = 0
    for shape in shapes:
        total += shape.area()
    return total
