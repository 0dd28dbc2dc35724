# Two commands matter: `make run` and `make test`. Everything else is optional.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= python3
# Debian packages Qt's xcb platform plugin needs on a desktop (offscreen tests need none).
QT_XCB_DEBS := libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 \
               libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libegl1 libgl1

.PHONY: install run test lint bench fuzz soak qt-desktop-libs clean

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

# Opens the app on the embedded simulator. Without a display (a headless machine) the
# window is served over VNC on 127.0.0.1:5900 instead: connect any VNC viewer to it.
run: $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  $(MAKE) --no-print-directory qt-desktop-libs && $(VENV)/bin/infobip-console; \
	else \
	  echo "No display found: serving the window over VNC at 127.0.0.1:5900 (Ctrl+C to stop)"; \
	  QT_QPA_PLATFORM=vnc:addr=127.0.0.1:port=5900 $(VENV)/bin/infobip-console; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check console ui tests bench

test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench

fuzz: $(STAMP)
	QT_QPA_PLATFORM=offscreen INFOBIP_FUZZ_FULL=1 $(PY) -m pytest -m fuzz -p no:timeout

soak: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.soak

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
