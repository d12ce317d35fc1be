"""Serial scanner framing and the pyserial reader on a real pty pair."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st
from support.agent_process import PtyScanner, wait_for

from hardware.config import DeviceConfig
from hardware.serial_scanner import FrameDecoder, SerialScannerReader

codes = st.text(alphabet="0123456789ABCXYZ^()", min_size=1, max_size=40)


@given(st.lists(codes, min_size=1, max_size=20), st.data())
def test_framing_does_not_depend_on_chunking(batch, data):
    """However the bytes are split by the UART, the same codes come out."""
    stream = b"".join(f"]E0{code}#\r\n".encode() for code in batch)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    decoder = FrameDecoder(terminator="\r\n", prefix="]E0", suffix="#", fnc1="^")
    out: list[str] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        out += decoder.feed(stream[start:end])
    assert out == [code.replace("^", "\x1d") for code in batch]


def test_gs_passes_through_and_cr_lf_tolerated():
    """GS sent by the scanner stays GS; CR terminator with CR LF input still gives clean codes."""
    decoder = FrameDecoder(terminator="\r", fnc1="GS")
    assert decoder.feed(b"0104012345000009\x1d10A\r\n4012345000009\r\n") == [
        "0104012345000009\x1d10A",
        "4012345000009",
    ]


def test_runaway_frame_is_logged_not_silently_dropped(caplog):
    """A wrong terminator setting shows up in the log with the bytes."""
    decoder = FrameDecoder(terminator="\r", max_frame=16)
    assert decoder.feed(b"4012345000009\n4012345000009\n") == []
    assert "without terminator" in caplog.text and "34303132" in caplog.text


def test_reader_on_pty_pair_and_reopen_when_port_appears(tmp_path):
    """The reader waits for a missing port, then reads the pty it is given."""
    scanner = PtyScanner()
    link = tmp_path / "ttyACM0"
    device = DeviceConfig(name="S01-SCN-1", port=str(link), baud=9600, op="receipt")
    reads = []
    stop = threading.Event()
    reader = SerialScannerReader(device, reads.append, stop, reopen_delay_s=0.05)
    thread = threading.Thread(target=reader.run)
    thread.start()
    try:
        wait_for(lambda: reader.last_error, 5, "missing port reported")
        link.symlink_to(scanner.port)
        wait_for(lambda: reader.connected, 5, "port opened once it exists")
        scanner.scan(b"4012345000009\r4012345000016\r")
        wait_for(lambda: len(reads) == 2, 5, "two reads")
        assert [r.code for r in reads] == ["4012345000009", "4012345000016"]
        assert reads[0].op == "receipt" and reads[0].ts.endswith("Z")
    finally:
        stop.set()
        thread.join(5)
        scanner.close()
    assert not thread.is_alive(), "reader must stop within its read timeout"
