# Two commands matter: `make run` and `make test`. Everything else is optional.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= python3
# Debian packages Qt's xcb platform plugin needs on a desktop (offscreen tests need none).
QT_XCB_DEBS := libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 \
               libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libegl1 libgl1

.PHONY: install run test lint bench fuzz soak qt-desktop-libs headless-libs clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Installs the xcb libraries if Qt's desktop plugin misses any (we are root on this
# machine kind); otherwise prints the exact command to run.
qt-desktop-libs: $(STAMP)
	@plugin=$$($(PY) -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "Qt/plugins/platforms/libqxcb.so")'); \
	if ldd "$$plugin" | grep -q 'not found'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Qt desktop libraries: $(QT_XCB_DEBS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(QT_XCB_DEBS) >/dev/null; \
	  else \
	    echo "Qt needs system libraries. Run: sudo apt-get install -y $(QT_XCB_DEBS)"; exit 1; \
	  fi; \
	fi

# Opens the app on the embedded simulator. Without a display (a headless machine) the window
# runs on a virtual X screen (Xvfb) shared by x11vnc on 127.0.0.1:5900 only (loopback: from
# another machine use an ssh tunnel, `ssh -L 5900:127.0.0.1:5900 host`).
HEADLESS_DEBS := xvfb x11vnc
VNC_DISPLAY   ?= :57
VNC_PORT      ?= 5900

run: $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  $(MAKE) --no-print-directory qt-desktop-libs && $(VENV)/bin/infobip-console; \
	else \
	  $(MAKE) --no-print-directory headless-libs qt-desktop-libs || exit 1; \
	  echo "No display found: the window is served over VNC at 127.0.0.1:$(VNC_PORT) (loopback only; Ctrl+C to stop)"; \
	  Xvfb $(VNC_DISPLAY) -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$$!; \
	  sleep 1; \
	  x11vnc -display $(VNC_DISPLAY) -localhost -rfbport $(VNC_PORT) -forever -shared -nopw -quiet \
	    >/dev/null 2>&1 & vnc=$$!; \
	  trap 'kill $$vnc $$xvfb 2>/dev/null' EXIT INT TERM; \
	  DISPLAY=$(VNC_DISPLAY) $(VENV)/bin/infobip-console; \
	fi

# Xvfb and x11vnc for `make run` on a machine without a display.
headless-libs:
	@if ! command -v Xvfb >/dev/null || ! command -v x11vnc >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $(HEADLESS_DEBS) to show the window over VNC"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(HEADLESS_DEBS) >/dev/null; \
	  else \
	    echo "No display, and Xvfb/x11vnc are missing. Run: sudo apt-get install -y $(HEADLESS_DEBS)"; exit 1; \
	  fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check console ui tests bench

test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench

fuzz: $(STAMP)
	QT_QPA_PLATFORM=offscreen INFOBIP_FUZZ_FULL=1 $(PY) -m pytest -m fuzz --timeout=0 -q

soak: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.soak

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
