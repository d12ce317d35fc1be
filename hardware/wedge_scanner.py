"""Keyboard-wedge barcode scanners read through Linux evdev.

What it is: a reader for scanners that present themselves as a USB keyboard.
It grabs the input device (so the scans do not also type into the store PC's
focused window) and turns key presses into codes, one per Enter.

How it works: python-evdev (``pip install evdev``; an optional dependency,
imported only when a device of kind ``evdev`` is configured) yields key
events; a US keyboard layout maps key codes to characters, Shift included.
The configured ``prefix``/``suffix``/``fnc1`` rules of
:class:`hardware.serial_scanner.FrameDecoder` apply unchanged, with Enter as
the terminator. Outer loop recovers (device unplugged: close, back off,
reopen), inner loop reads with a timeout so that stop is noticed.

Caveats: only the US layout is mapped; configure the scanner for it (or for
"alt-code" off). GS cannot be typed: set the scanner to send a substitute
character for FNC1 and configure it as ``fnc1``. Needs read access to
``/dev/input/event*`` (group ``input``). Not covered by the automatic tests,
which have no input devices; the framing it relies on is.
"""

from __future__ import annotations

import contextlib
import logging
import select

from hardware.serial_scanner import DeviceReader, FrameDecoder

_logger = logging.getLogger(__name__)

_US_KEYS = {
    **{f"KEY_{c}": (c, s) for c, s in zip("1234567890", "!@#$%^&*()", strict=True)},
    **{f"KEY_{c.upper()}": (c, c.upper()) for c in "abcdefghijklmnopqrstuvwxyz"},
    "KEY_MINUS": ("-", "_"),
    "KEY_EQUAL": ("=", "+"),
    "KEY_SPACE": (" ", " "),
    "KEY_DOT": (".", ">"),
    "KEY_COMMA": (",", "<"),
    "KEY_SLASH": ("/", "?"),
    "KEY_SEMICOLON": (";", ":"),
    "KEY_APOSTROPHE": ("'", '"'),
    "KEY_LEFTBRACE": ("[", "{"),
    "KEY_RIGHTBRACE": ("]", "}"),
    "KEY_BACKSLASH": ("\\", "|"),
    "KEY_GRAVE": ("`", "~"),
    "KEY_ENTER": ("\r", "\r"),
    "KEY_KPENTER": ("\r", "\r"),
}
_SHIFTS = {"KEY_LEFTSHIFT", "KEY_RIGHTSHIFT"}


class WedgeScannerReader(DeviceReader):
    """One keyboard-wedge scanner (evdev device path in ``device.port``)."""

    def run(self) -> None:
        """Outer loop: (re)open and grab the input device until stopped."""
        try:
            import evdev
        except ImportError:
            self.last_error = "python-evdev is not installed (pip install evdev)"
            _logger.error("scanner %s: %s", self.device.name, self.last_error)
            return
        while not self._stop.is_set():
            try:
                input_device = evdev.InputDevice(self.device.port)
                input_device.grab()
            except OSError as exc:
                self._note_error(f"cannot open {self.device.port}: {exc}")
                self._stop.wait(self._reopen_delay_s)
                continue
            self.connected = True
            try:
                self._read_until_stopped(evdev, input_device)
            except OSError as exc:
                self._note_error(f"read from {self.device.port} failed: {exc}")
                self._stop.wait(self._reopen_delay_s)
            finally:
                self.connected = False
                with contextlib.suppress(OSError):  # the device may already be gone
                    input_device.ungrab()
                input_device.close()

    def _read_until_stopped(self, evdev, input_device) -> None:
        decoder = FrameDecoder(
            terminator="\r",
            prefix=self.device.prefix,
            suffix=self.device.suffix,
            fnc1=self.device.fnc1,
        )
        shifted = False
        while not self._stop.is_set():
            ready, _, _ = select.select([input_device.fd], [], [], self.device.read_timeout_s)
            if not ready:
                continue
            for event in input_device.read():
                if event.type != evdev.ecodes.EV_KEY:
                    continue
                name = evdev.ecodes.KEY.get(event.code)
                if isinstance(name, list):
                    name = name[0]
                if name in _SHIFTS:
                    shifted = event.value != 0
                    continue
                if event.value != 1 or name not in _US_KEYS:  # key down only
                    continue
                char = _US_KEYS[name][1 if shifted else 0]
                for code in decoder.feed(char.encode("latin-1")):
                    self._emit_code(code)
