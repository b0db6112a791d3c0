#!/bin/sh
set -e

area() {
    echo $(( $1 * $2 ))
}

for size in 1 2 3; do
    if [ "$size" -gt 1 ]; then
        echo "size $size: $(area "$size" "$size")"
    fi
done
