#!/usr/bin/python3
"""gen-world-shapes.py -- write dnsd/sim/world-shapes.txt, the country
outlines of the simulator's map, from the Digital Chart of the World as
Debian's gmt-dcw package ships it (DCW-GMT, LGPL-3+).

Run once by hand when the outlines should change; the output is committed
and the build compiles it in (dnsd/sim/gen_shapes.py), so neither the
build nor the tests need this script or its packages:

    apt-get install gmt-dcw python3-netcdf4
    tools/gen-world-shapes.py > dnsd/sim/world-shapes.txt

What it does, per country of dcw-countries.txt:
  - decodes the rings of dcw-gmt.nc: each country has NAME_lon and NAME_lat
    arrays of 16-bit values scaled between the variable's min and max
    attributes, with 65535 in the longitude array opening each ring;
  - puts each ring in the map's longitude window [-169, 191): the seam
    runs through the Bering Strait, so no country but Antarctica is cut.
    A ring is unwrapped to be continuous, then moved by whole turns until
    its middle lies in the window.  A ring that goes all the way round
    (Antarctica) is instead cut at the seam and closed along the pole;
  - simplifies each ring (Douglas-Peucker, 0.2 degrees: about half a
    pixel on a 720-pixel-wide map) and keeps a country's largest ring
    always, the others when their bounding box is at least 0.8 x 0.8
    degrees;
  - writes the countries largest first, so that a renderer drawing in
    file order paints enclaves (Lesotho, San Marino) over their
    surroundings.

Output: comment lines, then one line per ring: the ISO code, the first
point as "x,y" and every further point as "dx,dy" from the previous one,
in tenths of a degree (x longitude, y latitude).  Rings close implicitly.
"""
import math
import sys

import netCDF4
import numpy

DCW = "/usr/share/gmt-dcw/dcw-gmt.nc"
COUNTRIES = "/usr/share/gmt-dcw/dcw-countries.txt"
WEST = -169.0           # the window is [WEST, WEST + 360)
TOLERANCE = 0.2         # degrees
MIN_EXTRA_RING = 0.8    # degrees, both sides of the bounding box
UNIT = 10               # points per degree in the output


def rings_of(ds, code):
    lon_v, lat_v = ds.variables[code + "_lon"], ds.variables[code + "_lat"]
    raw_x = numpy.asarray(lon_v[:], dtype=numpy.int64)
    raw_y = numpy.asarray(lat_v[:], dtype=numpy.int64)

    def scale(v, raw):
        return v.getncattr("min") + raw / v.getncattr("scale")

    x, y = scale(lon_v, raw_x), scale(lat_v, raw_y)
    starts = list(numpy.flatnonzero(raw_x == 65535)) + [len(raw_x)]
    for a, b in zip(starts, starts[1:]):
        if b - a - 1 >= 3:
            yield numpy.stack([x[a + 1:b], y[a + 1:b]], axis=1)


def unwrap(ring):
    lon = ring[:, 0].copy()
    for i in range(1, len(lon)):
        lon[i] -= 360.0 * round((lon[i] - lon[i - 1]) / 360.0)
    return numpy.stack([lon, ring[:, 1]], axis=1)


def into_window(ring):
    """The ring in [WEST, WEST + 360), or closed along a pole if it goes
    round the globe."""
    ring = unwrap(ring)
    span = ring[:, 0].max() - ring[:, 0].min()
    if span < 359.0:
        mid = (ring[:, 0].max() + ring[:, 0].min()) / 2
        ring[:, 0] -= 360.0 * math.floor((mid - WEST) / 360.0)
        return ring
    # round the pole: wrap every point, start right after the seam
    lon = (ring[:, 0] - WEST) % 360.0 + WEST
    jump = numpy.flatnonzero(numpy.abs(numpy.diff(lon)) > 180.0)
    first = int(jump[0]) + 1 if len(jump) else 0
    pts = numpy.roll(numpy.stack([lon, ring[:, 1]], axis=1), -first, axis=0)
    pole = -90.0 if pts[:, 1].mean() < 0 else 90.0
    east, west = WEST + 360.0, WEST
    if pts[0, 0] > pts[-1, 0]:      # runs east to west
        east, west = west, east
    head = numpy.array([[west, pts[0, 1]]])
    tail = numpy.array([[east, pts[-1, 1]], [east, pole], [west, pole]])
    return numpy.concatenate([head, pts, tail])


def simplify(pts, eps):
    """Douglas-Peucker, iteratively: keeps the ends and every point more
    than eps from the chord of the stretch it lies in."""
    keep = numpy.zeros(len(pts), dtype=bool)
    keep[0] = keep[-1] = True
    todo = [(0, len(pts) - 1)]
    while todo:
        a, b = todo.pop()
        if b - a < 2:
            continue
        inner = pts[a + 1:b]
        dx, dy = pts[b] - pts[a]
        length = math.hypot(dx, dy)
        if length == 0:
            dist = numpy.hypot(inner[:, 0] - pts[a, 0], inner[:, 1] - pts[a, 1])
        else:
            dist = numpy.abs(dx * (inner[:, 1] - pts[a, 1]) - dy * (inner[:, 0] - pts[a, 0])) / length
        i = int(numpy.argmax(dist))
        if dist[i] > eps:
            todo += [(a, a + 1 + i), (a + 1 + i, b)]
            keep[a + 1 + i] = True
    return pts[keep]


def area(pts):
    x, y = pts[:, 0], pts[:, 1]
    return abs(numpy.dot(x, numpy.roll(y, 1)) - numpy.dot(y, numpy.roll(x, 1))) / 2


def encode(code, pts):
    q = numpy.rint(pts * UNIT).astype(int)
    out, prev = [code], None
    for x, y in q:
        if prev is None:
            out.append("%d,%d" % (x, y))
        elif (x, y) != prev:
            out.append("%d,%d" % (x - prev[0], y - prev[1]))
        prev = (x, y)
    return " ".join(out) if len(out) > 3 else None


def main():
    ds = netCDF4.Dataset(DCW)
    ds.set_auto_maskandscale(False)
    codes = [line.split()[1] for line in open(COUNTRIES, encoding="utf-8")
             if line.strip() and not line.startswith("#")]
    countries = []
    for code in codes:
        rings = sorted((into_window(r) for r in rings_of(ds, code)), key=area, reverse=True)
        kept = []
        for k, ring in enumerate(rings):
            w, h = numpy.ptp(ring[:, 0]), numpy.ptp(ring[:, 1])
            if k > 0 and (w < MIN_EXTRA_RING or h < MIN_EXTRA_RING):
                continue
            line = encode(code, simplify(ring, TOLERANCE))
            if line is None and k == 0:     # a speck: keep its outline unsimplified
                line = encode(code, ring)
            if line is not None:
                kept.append(line)
        if kept:
            countries.append((sum(area(r) for r in rings), kept))
    countries.sort(key=lambda c: -c[0])
    print("# Country outlines for the simulator's map (dnsd/sim/sim_svg.c).")
    print("# Generated by tools/gen-world-shapes.py from DCW-GMT %s (Debian package"
          % ds.getncattr("version"))
    print("# gmt-dcw), LGPL-3+: see world-shapes.LICENSE.  One ring per line: ISO code,")
    print("# first point x,y then deltas, in tenths of a degree (x: longitude, y: latitude).")
    for _, lines in countries:
        for line in lines:
            print(line)


if __name__ == "__main__":
    sys.exit(main())
