#!/usr/bin/python3
"""A real RTSP camera for tests, benchmarks and the demo: GStreamer's RTSP server serving H.264.

Run it with Debian's Python (/usr/bin/python3, which has python3-gi), not a pyenv one:

    RTSP_CAMERA_PASSWORD=secret /usr/bin/python3 scripts/rtsp-camera.py --port 8554 --user admin \
        --mount street=file:video/vtest.avi \
        --mount 'plates=slideshow:plates/scenes?width=960&height=540&seconds=6' \
        --mount face=image:faces/img1.jpg \
        --mount 'bars=pattern?fps=15&counter=1' \
        --frame-log /tmp/frames.tsv

With --user, clients must authenticate (Basic and Digest offered; --auth basic|digest to offer one);
the password comes from --password or, kept out of the process list, $RTSP_CAMERA_PASSWORD.

Each --mount is NAME=KIND[:PATH][?OPTIONS]:
    file:PATH       a video file, decoded and looped forever
    image:PATH      a still image turned into a moving scene (slow pan and zoom)
    slideshow:PATH  every .jpg/.jpeg/.png in a folder (or one image), each shown with pan and zoom
    pattern         a moving test pattern (OPTIONS: pattern=<videotestsrc pattern name>)
A relative PATH is taken relative to --media-dir (default: <repository>/../shared/media).
OPTIONS (URL query syntax): width, height, fps, bitrate (kbit/s), seconds (per slideshow image),
counter=1 (draw the frame number as a row of black/white blocks; see below).

The stream is H.264 (x264, zerolatency/ultrafast, constrained baseline, a key frame every 2 s) in
RTP payload type 96, with SPS/PPS sent before every key frame so that late joiners decode. Every
client gets its own encoder, so a new client starts on a key frame.

Frame counter: 32 square cells across the full width at the top of the picture, each W/32 pixels
wide and high: cell 0 white, cell 1 black (markers), cells 2..31 the frame number in 30 bits,
most significant first, white = 1. With --frame-log, one line per frame is written:
"<mount>\\t<frame number>\\t<send time, ms since the epoch>" ("-" writes to stdout).

When serving, one line is printed to stdout:
    ready {"port": 8554, "urls": {"street": "rtsp://127.0.0.1:8554/street", ...}}
(the URLs carry no credentials). Exits 0 on SIGTERM or SIGINT; with --exit-with-parent also when
the process that started it dies.
Exit codes: 2 bad arguments, 3 GStreamer missing, 4 port in use, 5 a source failed.
"""

import argparse
import ctypes
import json
import math
import os
import signal
import sys
import threading
import time
import urllib.parse

try:
    import gi

    gi.require_version('Gst', '1.0')
    gi.require_version('GstRtspServer', '1.0')
    gi.require_version('GstRtsp', '1.0')
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402
except (ImportError, ValueError) as exc:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        'rtsp-camera: GStreamer RTSP server for Python is missing (%s). Install the Debian packages '
        'python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good '
        'gstreamer1.0-plugins-ugly gstreamer1.0-libav, and run this script with /usr/bin/python3.\n' % exc
    )
    sys.exit(3)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MEDIA_DIR = os.path.normpath(os.path.join(REPO_ROOT, '..', 'shared', 'media'))
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')
REQUIRED_ELEMENTS = ('x264enc', 'rtph264pay', 'h264parse', 'appsrc', 'appsink', 'decodebin', 'videoconvert',
                     'videoscale', 'videorate', 'videocrop', 'videotestsrc')

# How far the image scenes zoom in (1.0 = the whole picture, cover-fitted).
MAX_ZOOM = 1.35


def log(msg):
    sys.stderr.write('rtsp-camera: %s\n' % msg)
    sys.stderr.flush()


def fail(code, msg):
    log(msg)
    sys.exit(code)


def even(n):
    return max(2, int(n) // 2 * 2)


class Mount:
    """One mount point: a producer of raw I420 frames and the encoders of its clients."""

    def __init__(self, name, kind, path, opts, frame_log):
        self.name = name
        self.kind = kind
        self.path = path
        self.width = even(opts.get('width', 640))
        self.height = even(opts.get('height', 360))
        self.fps = max(1, int(opts.get('fps', 10)))
        self.bitrate = int(opts.get('bitrate', 600))
        self.seconds = float(opts.get('seconds', 6))
        self.pattern = opts.get('pattern', 'smpte')
        self.counter = opts.get('counter', '0') in ('1', 'true', 'yes')
        self.frame_log = frame_log
        self.frame_no = 0
        self.appsrcs = []
        self.lock = threading.Lock()
        self.producer = None

    def caps(self):
        return 'video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1' % (
            self.width, self.height, self.fps)

    def launch(self):
        return (
            '( appsrc name=src is-live=true format=time do-timestamp=true max-buffers=4 leaky-type=downstream '
            'caps="%s" ! queue max-size-buffers=4 leaky=downstream '
            '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d bitrate=%d threads=1 '
            '! video/x-h264,profile=constrained-baseline ! h264parse '
            '! rtph264pay name=pay0 pt=96 config-interval=-1 )'
        ) % (self.caps(), self.fps * 2, self.bitrate)

    # -- clients --
    def on_media_configure(self, _factory, media):
        src = media.get_element().get_by_name_recurse_up('src')
        with self.lock:
            self.appsrcs.append(src)
        media.connect('unprepared', self.on_media_unprepared, src)

    def on_media_unprepared(self, _media, src):
        with self.lock:
            if src in self.appsrcs:
                self.appsrcs.remove(src)

    # -- frames (called from GStreamer streaming threads) --
    def deliver(self, data):
        n = self.frame_no
        self.frame_no += 1
        if self.counter:
            data = bytearray(data)
            paint_counter(data, self.width, self.height, n)
            data = bytes(data)
        with self.lock:
            targets = list(self.appsrcs)
        sent_ms = time.time() * 1000.0
        for src in targets:
            src.emit('push-buffer', Gst.Buffer.new_wrapped(data))
        if self.counter and self.frame_log is not None:
            self.frame_log.write('%s\t%d\t%.3f\n' % (self.name, n, sent_ms))
            self.frame_log.flush()


def paint_counter(data, width, height, n):
    """Draw frame number n into an I420 picture (see the module text)."""
    cell = even(width // 32)
    ysize = width * height
    cw = width // 2
    usize = cw * (height // 2)
    bits = [1, 0] + [(n >> (29 - i)) & 1 for i in range(30)]
    for i, bit in enumerate(bits):
        x0 = (i * width // 32) // 2 * 2
        x1 = ((i + 1) * width // 32) // 2 * 2
        value = bytes([235 if bit else 16]) * (x1 - x0)
        for row in range(cell):
            start = row * width + x0
            data[start:start + (x1 - x0)] = value
        grey = bytes([128]) * ((x1 - x0) // 2)
        for row in range(cell // 2):
            start = row * cw + x0 // 2
            data[ysize + start:ysize + start + len(grey)] = grey
            data[ysize + usize + start:ysize + usize + start + len(grey)] = grey


def make_appsink_pipeline(description, mount, name):
    pipeline = Gst.parse_launch(description)
    sink = pipeline.get_by_name('sink')

    def on_sample(appsink):
        sample = appsink.emit('pull-sample')
        if sample is None:
            return Gst.FlowReturn.EOS
        buf = sample.get_buffer()
        mount.deliver(buf.extract_dup(0, buf.get_size()))
        return Gst.FlowReturn.OK

    sink.connect('new-sample', on_sample)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    return pipeline, bus


class FileProducer:
    """Decodes a video file in real time and loops it."""

    def __init__(self, mount, on_fatal):
        self.mount = mount
        desc = (
            'filesrc name=file ! decodebin ! videoconvert ! videoscale ! videorate ! %s '
            '! appsink name=sink emit-signals=true sync=true max-buffers=2 drop=true'
        ) % mount.caps()
        self.pipeline, bus = make_appsink_pipeline(desc, mount, mount.name)
        self.pipeline.get_by_name('file').set_property('location', mount.path)
        bus.connect('message::eos', lambda *_: self.pipeline.seek_simple(
            Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0))
        bus.connect('message::error', lambda _b, m: on_fatal('%s: %s' % (mount.name, m.parse_error()[0].message)))

    def start(self):
        return self.pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


class PatternProducer:
    def __init__(self, mount, on_fatal):
        desc = (
            'videotestsrc is-live=true pattern=%s horizontal-speed=3 ! %s '
            '! appsink name=sink emit-signals=true sync=false max-buffers=2 drop=true'
        ) % (mount.pattern, mount.caps())
        self.pipeline, bus = make_appsink_pipeline(desc, mount, mount.name)
        bus.connect('message::error', lambda _b, m: on_fatal('%s: %s' % (mount.name, m.parse_error()[0].message)))

    def start(self):
        return self.pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def decode_still(path, width=None, height=None):
    """Decode one image to I420 bytes; scaled to width x height when given. Returns (bytes, w, h)."""
    scale = ' ! videoscale ! video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1' % (width, height) if width else ''
    pipeline = Gst.parse_launch(
        'filesrc name=file ! decodebin ! videoconvert%s ! videoconvert ! video/x-raw,format=I420 '
        '! appsink name=sink sync=false' % scale)
    pipeline.get_by_name('file').set_property('location', path)
    pipeline.set_state(Gst.State.PLAYING)
    sample = pipeline.get_by_name('sink').emit('try-pull-sample', 10 * Gst.SECOND)
    pipeline.set_state(Gst.State.NULL)
    if sample is None:
        raise RuntimeError('cannot decode image %s' % path)
    s = sample.get_caps().get_structure(0)
    buf = sample.get_buffer()
    return buf.extract_dup(0, buf.get_size()), s.get_value('width'), s.get_value('height')


class ImageProducer:
    """Still images as a moving scene: each image is cover-fitted, then panned and zoomed slowly."""

    def __init__(self, mount, on_fatal):
        self.mount = mount
        self.on_fatal = on_fatal
        if os.path.isdir(mount.path):
            self.images = sorted(
                os.path.join(mount.path, f) for f in os.listdir(mount.path) if f.lower().endswith(IMAGE_EXTENSIONS))
        else:
            self.images = [mount.path]
        if not self.images:
            raise RuntimeError('no images in %s' % mount.path)
        self.index = -1
        self.canvas = None
        self.shown_at = 0.0
        self.timer = None
        self.tick_no = 0
        self.pipeline, bus = make_appsink_pipeline(
            'appsrc name=src format=time do-timestamp=true ! videocrop name=crop ! videoscale add-borders=false '
            '! %s ! appsink name=sink emit-signals=true sync=false max-buffers=2 drop=true' % mount.caps(),
            mount, mount.name)
        bus.connect('message::error', lambda _b, m: on_fatal('%s: %s' % (mount.name, m.parse_error()[0].message)))
        self.src = self.pipeline.get_by_name('src')
        self.crop = self.pipeline.get_by_name('crop')

    def next_image(self):
        self.index = (self.index + 1) % len(self.images)
        path = self.images[self.index]
        _data, iw, ih = decode_still(path)
        m = self.mount
        cover = max(m.width / iw, m.height / ih) * MAX_ZOOM
        cw, ch = even(iw * cover), even(ih * cover)
        data, cw, ch = decode_still(path, cw, ch)
        self.canvas = (data, cw, ch)
        self.shown_at = time.monotonic()
        self.src.set_property('caps', Gst.Caps.from_string(
            'video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1' % (cw, ch, m.fps)))

    def tick(self):
        m = self.mount
        if self.canvas is None or (len(self.images) > 1 and time.monotonic() - self.shown_at >= m.seconds):
            try:
                self.next_image()
            except Exception as e:  # noqa: BLE001
                self.on_fatal('%s: %s' % (m.name, e))
                return False
        data, cw, ch = self.canvas
        t = time.monotonic() - self.shown_at
        period = max(m.seconds, 8.0)
        phase = (t % period) / period
        # Zoom from the whole (cover-fitted) picture in to MAX_ZOOM and back; pan along a slow ellipse.
        zoom = 1.0 + (MAX_ZOOM - 1.0) * (0.5 - 0.5 * math.cos(2 * math.pi * phase))
        rw = min(cw, even(cw / zoom))
        rh = min(ch, even(rw * m.height / m.width))
        fx = 0.5 + 0.5 * math.sin(2 * math.pi * phase)
        fy = 0.5 + 0.5 * math.sin(4 * math.pi * phase + 1.0)
        left = even((cw - rw) * fx) if cw - rw >= 2 else 0
        top = even((ch - rh) * fy) if ch - rh >= 2 else 0
        self.crop.set_property('left', left)
        self.crop.set_property('right', max(0, cw - rw - left))
        self.crop.set_property('top', top)
        self.crop.set_property('bottom', max(0, ch - rh - top))
        self.src.emit('push-buffer', Gst.Buffer.new_wrapped(data))
        return True

    def start(self):
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            return False
        if not self.tick():
            return False
        self.timer = GLib.timeout_add(max(1, int(round(1000 / self.mount.fps))), self.tick)
        return True

    def stop(self):
        if self.timer is not None:
            GLib.source_remove(self.timer)
            self.timer = None
        self.pipeline.set_state(Gst.State.NULL)


PRODUCERS = {'file': FileProducer, 'pattern': PatternProducer, 'image': ImageProducer, 'slideshow': ImageProducer}


def parse_mount(spec, media_dir, frame_log):
    if '=' not in spec:
        raise ValueError('--mount %r: expected NAME=KIND[:PATH][?OPTIONS]' % spec)
    name, rest = spec.split('=', 1)
    name = name.strip('/')
    if not name or any(c in name for c in ' ?#'):
        raise ValueError('--mount %r: bad mount name' % spec)
    # The options follow the last '?', so a path may hold '?' when the spec ends with one ('...?' or '...?fps=5').
    head, sep, query = rest.rpartition('?')
    rest = head if sep else rest
    kind, _, path = rest.partition(':')
    if kind not in PRODUCERS:
        raise ValueError('--mount %r: unknown source kind %r (file, image, slideshow, pattern)' % (spec, kind))
    if kind != 'pattern':
        if not path:
            raise ValueError('--mount %r: %s needs a path' % (spec, kind))
        if not os.path.isabs(path):
            path = os.path.join(media_dir, path)
        if not os.path.exists(path):
            raise ValueError('--mount %r: %s does not exist' % (spec, path))
    opts = dict(urllib.parse.parse_qsl(query))
    for key in ('width', 'height', 'fps', 'bitrate'):
        if key in opts and not opts[key].isdigit():
            raise ValueError('--mount %r: %s must be a whole number' % (spec, key))
    return Mount(name, kind, path, opts, frame_log)


def set_auth_methods(auth, which):
    """Offer Basic, Digest or both. GstRTSPAuthMethod is used as flags in C but bound as a plain enum, so
    'both' goes through ctypes."""
    if which == 'basic':
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        return
    if which == 'digest':
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        return
    try:
        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype = ctypes.c_void_p
        get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        lib = ctypes.CDLL('libgstrtspserver-1.0.so.0')
        lib.gst_rtsp_auth_set_supported_methods.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.gst_rtsp_auth_set_supported_methods(get_pointer(auth.__gpointer__, None),
                                                int(GstRtsp.RTSPAuthMethod.BASIC) | int(GstRtsp.RTSPAuthMethod.DIGEST))
    except (OSError, AttributeError, ValueError) as e:
        log('cannot offer both Basic and Digest (%s); offering Digest' % e)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)


def exit_with_parent():
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        return
    if os.getppid() == 1:
        sys.exit(0)


def main():
    parser = argparse.ArgumentParser(description='RTSP test camera (GStreamer RTSP server, H.264).')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8554, help='0 picks a free port')
    parser.add_argument('--mount', action='append', default=[], help='NAME=KIND[:PATH][?OPTIONS]')
    parser.add_argument('--media-dir', default=DEFAULT_MEDIA_DIR)
    parser.add_argument('--user')
    parser.add_argument('--password', default=os.environ.get('RTSP_CAMERA_PASSWORD'),
                        help='or $RTSP_CAMERA_PASSWORD (keeps it out of the process list)')
    parser.add_argument('--auth', choices=('basic', 'digest', 'both'), default='both', help='authentication methods offered')
    parser.add_argument('--frame-log', help='file for "mount<TAB>frame<TAB>send ms" lines of counter mounts; - for stdout')
    parser.add_argument('--exit-with-parent', action='store_true')
    args = parser.parse_args()
    if not args.mount:
        fail(2, 'at least one --mount is needed')
    if (args.user is None) != (args.password is None):
        fail(2, '--user and --password go together')
    if args.exit_with_parent:
        exit_with_parent()

    Gst.init(None)
    missing = [e for e in REQUIRED_ELEMENTS if Gst.ElementFactory.find(e) is None]
    if missing:
        fail(3, 'GStreamer elements missing: %s (install gstreamer1.0-plugins-base/good/ugly/bad and gstreamer1.0-libav)'
             % ', '.join(missing))

    frame_log = None
    if args.frame_log == '-':
        frame_log = sys.stdout
    elif args.frame_log:
        frame_log = open(args.frame_log, 'a', encoding='utf-8')

    try:
        mounts = [parse_mount(spec, args.media_dir, frame_log) for spec in args.mount]
    except ValueError as e:
        fail(2, str(e))
    if len({m.name for m in mounts}) != len(mounts):
        fail(2, 'mount names must be unique')

    loop = GLib.MainLoop()
    exit_code = [0]

    def on_fatal(msg):
        log('source failed: %s' % msg)
        exit_code[0] = 5
        loop.quit()

    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'viewer')
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        auth.add_digest(args.user, args.password, token)
        set_auth_methods(auth, args.auth)
        server.set_auth(auth)

    mount_points = server.get_mount_points()
    for m in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(m.launch())
        factory.set_shared(False)
        factory.connect('media-configure', m.on_media_configure)
        if args.user is not None:
            perms = GstRtspServer.RTSPPermissions()
            perms.add_role('viewer')
            perms.add_permission_for_role('viewer', 'media.factory.access', True)
            perms.add_permission_for_role('viewer', 'media.factory.construct', True)
            factory.set_permissions(perms)
        mount_points.add_factory('/' + m.name, factory)
        try:
            m.producer = PRODUCERS[m.kind](m, on_fatal)
        except (RuntimeError, GLib.Error) as e:
            fail(5, 'source %s: %s' % (m.name, e))
        if not m.producer.start():
            fail(5, 'source %s (%s) could not start' % (m.name, m.path or m.kind))

    def quit_loop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    # Installed before "ready", so a SIGTERM right after it still ends the process cleanly.
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_loop)
    if server.attach(None) == 0:
        fail(4, 'cannot listen on %s:%d (port in use?)' % (args.host, args.port))
    port = server.get_bound_port()
    urls = {m.name: 'rtsp://%s:%d/%s' % (args.host, port, m.name) for m in mounts}
    sys.stdout.write('ready %s\n' % json.dumps({'port': port, 'urls': urls}))
    sys.stdout.flush()

    loop.run()
    for m in mounts:
        m.producer.stop()
    if frame_log is not None and frame_log is not sys.stdout:
        frame_log.close()
    sys.stdout.flush()
    # Client media pipelines belong to the server's threads; leave without waiting for them.
    os._exit(exit_code[0])


if __name__ == '__main__':
    main()
