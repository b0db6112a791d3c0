#include <stdio.h>

struct rect {
    double width;
    double height;
};

static double area(const struct rect *r) {
    return r->width * r->height;
}

int main(void) {
    struct rect r = {3.0, 4.0};
    if (area(&r) > 10.0) {
        printf("big: %f\n", area(&r));
    }
    return 0;
}
