#!/usr/bin/python3
"""An RTSP client for bench/camera-to-terminal.bench.ts: reads, from each decoded frame of a
scripts/rtsp-camera.py mount with counter=1, the frame number (the top row of cells) and the grey
level of the marker square in the bottom-left corner (64x64 at 1280x720), which the benchmark's clip
paints with a level per vehicle. Prints "<frame number>\t<marker luma>" per frame.

    /usr/bin/python3 bench/lib/gst-marker-client.py rtsp://127.0.0.1:8554/lane SECONDS
"""
import sys
import time

import gi

gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
url, seconds = sys.argv[1], int(sys.argv[2])
pipeline = Gst.parse_launch(
    'rtspsrc name=src latency=0 protocols=tcp ! rtph264depay ! avdec_h264 max-threads=1 '
    '! video/x-raw,format=I420 ! appsink name=sink emit-signals=true sync=false max-buffers=8')
pipeline.get_by_name('src').set_property('location', url)


def mean(data, width, x0, y0, size):
    total = 0
    for yy in range(y0, y0 + size):
        row = yy * width
        for xx in range(x0, x0 + size):
            total += data[row + xx]
    return total / (size * size)


def counter(data, width):
    cell = width / 32
    y = int(cell // 2) - 2
    bits = [mean(data, width, int((i + 0.5) * cell) - 2, y, 4) > 128 for i in range(32)]
    if not (bits[0] and not bits[1]):
        return -1
    n = 0
    for b in bits[2:]:
        n = (n << 1) | (1 if b else 0)
    return n


def on_sample(sink):
    sample = sink.emit('pull-sample')
    caps = sample.get_caps().get_structure(0)
    width, height = caps.get_value('width'), caps.get_value('height')
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    if ok:
        try:
            data = info.data
            n = counter(data, width)
            marker = mean(data, width, 16, height - 48, 32)
            sys.stdout.write('%d\t%.1f\n' % (n, marker))
            sys.stdout.flush()
        finally:
            buf.unmap(info)
    return Gst.FlowReturn.OK


pipeline.get_by_name('sink').connect('new-sample', on_sample)
pipeline.set_state(Gst.State.PLAYING)
loop = GLib.MainLoop()
GLib.timeout_add(seconds * 1000, loop.quit)
try:
    loop.run()
finally:
    pipeline.set_state(Gst.State.NULL)
