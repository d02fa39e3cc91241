"""Bach's chorales as piano rolls, read from the corpus that the ``music21`` package ships.

A chorale's MusicXML file lists, part by part, notes with a pitch and a duration. The piano
roll marks, at every eighth-note step, which pitches sound (any part). We read the files with
the standard library (zip + ElementTree): music21's own parser builds a full score object and
takes about 0.1 s a chorale, this reader a few milliseconds.
"""
import pathlib
import zipfile
from xml.etree import ElementTree

import numpy as np

STEP = 0.5                      # quarter notes per frame: eighth notes
SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def chorale_paths():
    """The MusicXML files of the Bach chorales in music21's corpus, in a fixed order."""
    import importlib.util
    spec = importlib.util.find_spec("music21")
    if spec is None:
        raise ImportError("the chorales come from the music21 package: pip install music21")
    folder = pathlib.Path(spec.origin).parent / "corpus" / "bach"
    return sorted(folder.glob("bwv*.mxl"))


def _root(path):
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith((".xml", ".musicxml"))
                    and not n.startswith("META-INF"))
        return ElementTree.fromstring(archive.read(name))


def notes(path):
    """(onset, duration, MIDI pitch) of every note of every part, times in quarter notes."""
    found = []
    for part in _root(path).iter("part"):
        divisions, start = 1, 0.0
        for measure in part.iter("measure"):
            position = longest = 0
            previous_onset = 0
            for item in measure:
                if item.tag == "attributes" and item.find("divisions") is not None:
                    divisions = int(item.find("divisions").text)
                elif item.tag in ("backup", "forward"):
                    shift = int(item.find("duration").text)
                    position += shift if item.tag == "forward" else -shift
                elif item.tag == "note" and item.find("grace") is None:
                    duration = int(item.find("duration").text)
                    onset = previous_onset if item.find("chord") is not None else position
                    pitch = item.find("pitch")
                    if pitch is not None:
                        midi = (12 * (int(pitch.find("octave").text) + 1) + SEMITONES[pitch.find("step").text]
                                + int(float(pitch.findtext("alter", "0"))))
                        found.append((start + onset / divisions, duration / divisions, midi))
                    if item.find("chord") is None:
                        previous_onset, position = position, position + duration
                longest = max(longest, position)
            start += longest / divisions
    return found


def piano_roll(path, low, high):
    """Frames x (high - low) of 0/1: which pitches in [low, high) sound at each eighth note."""
    events = notes(path)
    end = max(onset + duration for onset, duration, _ in events)
    roll = np.zeros((int(np.ceil(end / STEP)), high - low), dtype=np.float32)
    for onset, duration, midi in events:
        if low <= midi < high:
            first = int(round(onset / STEP))
            roll[first:max(first + 1, int(round((onset + duration) / STEP))), midi - low] = 1.0
    return roll


def load_chorales(n_chorales=100, low=36, high=82):
    """The first ``n_chorales`` chorales of the corpus as piano rolls over MIDI pitches
    [low, high) (C2 to A5: the four voices' range); a list of (frames, pitches) arrays."""
    return [piano_roll(path, low, high) for path in chorale_paths()[:n_chorales]]
