"""Guard against Qt bindings that corrupt reference counts of Python singletons.

PySide6 6.12.0 decremented the reference count of None (and of True/False for
some signals) every time a signal reached a bound method: after enough signals the
interpreter aborts with "bool_dealloc: deallocating True or False", often only
while it shuts down. pyproject.toml excludes that release; this test catches any
build with the same fault.
"""

import gc
import sys

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QCheckBox

ROUNDS = 50


class _Receiver(QObject):
    ticks = Signal(int)

    def __init__(self):
        super().__init__()
        self.calls = 0

    @Slot(bool)
    def on_toggled(self, _checked):
        self.calls += 1

    @Slot()
    def on_timeout(self):
        self.calls += 1

    def plain(self, *_args):
        self.calls += 1


def _singleton_counts():
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def _assert_stable(fire, receiver):
    fire()
    gc.collect()
    gc.disable()
    try:
        before = _singleton_counts()
        calls_before = receiver.calls
        for _ in range(ROUNDS):
            fire()
        after = _singleton_counts()
    finally:
        gc.enable()
    assert receiver.calls - calls_before == ROUNDS
    # A healthy binding leaves the counts where they were (a few of our own
    # temporaries at most); the faulty one loses one reference per signal.
    drift = [b - a for a, b in zip(before, after, strict=True)]
    assert all(d > -ROUNDS // 2 for d in drift), f"None/True/False refcounts fell by {drift}"


def test_bound_slot_with_bool_argument(qapp):
    receiver, box = _Receiver(), QCheckBox()
    box.toggled.connect(receiver.on_toggled)
    _assert_stable(box.toggle, receiver)


def test_undecorated_bound_method(qapp):
    receiver, box = _Receiver(), QCheckBox()
    box.toggled.connect(receiver.plain)
    _assert_stable(box.toggle, receiver)


def test_timer_timeout_to_slot(qapp):
    receiver, timer = _Receiver(), QTimer()
    timer.timeout.connect(receiver.on_timeout)
    _assert_stable(timer.timeout.emit, receiver)


def test_custom_int_signal(qapp):
    receiver = _Receiver()
    receiver.ticks.connect(receiver.plain)
    _assert_stable(lambda: receiver.ticks.emit(3), receiver)
