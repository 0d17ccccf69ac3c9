#!/usr/bin/python3
"""A reference RTSP client for bench/live-latency.bench.ts: GStreamer's rtspsrc (latency=0, TCP),
rtph264depay, avdec_h264 (1 thread), reading the frame counter of scripts/rtsp-camera.py from the
luma plane of each decoded frame. Prints "<frame number>\t<epoch ms when decoded>" per frame.

    /usr/bin/python3 bench/lib/gst-counter-client.py rtsp://127.0.0.1:8554/bench SECONDS

It shows the test camera's own share of the delay (x264, RTSP server) without ffmpeg.
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
    '! video/x-raw,format=I420 ! appsink name=sink emit-signals=true sync=false max-buffers=4')
pipeline.get_by_name('src').set_property('location', url)


def counter(data, width):
    cell = width / 32
    y = int(cell // 2)
    r = max(0, int(cell // 4) - 1)

    def luma(i):
        cx = int((i + 0.5) * cell)
        total = 0
        n = 0
        for yy in range(y - r, y + r + 1):
            row = yy * width
            for xx in range(cx - r, cx + r + 1):
                total += data[row + xx]
                n += 1
        return total / n

    if luma(0) < 160 or luma(1) > 96:
        return None
    value = 0
    for i in range(2, 32):
        value = value * 2 + (1 if luma(i) >= 128 else 0)
    return value


def on_sample(sink):
    at = time.time() * 1000.0
    sample = sink.emit('pull-sample')
    width = sample.get_caps().get_structure(0).get_value('width')
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    if ok:
        n = counter(info.data, width)
        buf.unmap(info)
        if n is not None:
            sys.stdout.write('%d\t%.3f\n' % (n, at))
            sys.stdout.flush()
    return Gst.FlowReturn.OK


pipeline.get_by_name('sink').connect('new-sample', on_sample)
loop = GLib.MainLoop()
bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect('message::error', lambda _b, m: (sys.stderr.write('%s\n' % m.parse_error()[0].message), loop.quit()))
pipeline.set_state(Gst.State.PLAYING)
GLib.timeout_add_seconds(seconds, loop.quit)
loop.run()
pipeline.set_state(Gst.State.NULL)
