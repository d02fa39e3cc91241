"""Bach's chorales as piano rolls, read from the corpus that the ``music21`` package ships.

A chorale's MusicXML file lists, part by part, notes with a pitch and a duration. The piano
roll marks, at every eighth-note step, which pitches the four voices (soprano, alto, tenor,
bass) sound; the instruments that some settings add (horns, trumpets, timpani, ...) are left
out. Where the corpus holds several versions of one chorale (bwv18.5-lz and bwv18.5-w), the
first in filename order is kept. We read the files with the standard library (zip +
ElementTree): music21's own parser builds a full score object and takes about 0.1 s a
chorale, this reader a few milliseconds.
"""
import pathlib
import zipfile
from xml.etree import ElementTree

import numpy as np

STEP = 0.5                      # quarter notes per frame: eighth notes
VOICES = ("Soprano", "Alto", "Tenor", "Bass")
SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def chorale_paths():
    """The MusicXML files of the Bach chorales in music21's corpus, in filename order, one
    version of each chorale (the first of bwvN.M, bwvN.M-x, ...)."""
    import importlib.util
    spec = importlib.util.find_spec("music21")
    if spec is None:
        raise ImportError("the chorales come from the music21 package: pip install music21")
    folder = pathlib.Path(spec.origin).parent / "corpus" / "bach"
    paths, seen = [], set()
    for path in sorted(folder.glob("bwv*.mxl")):
        if path.stem.split("-")[0] not in seen:
            seen.add(path.stem.split("-")[0])
            paths.append(path)
    return paths


def _root(path):
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith((".xml", ".musicxml"))
                    and not n.startswith("META-INF"))
        return ElementTree.fromstring(archive.read(name))


def voice_parts(root):
    """The ids of the parts named Soprano, Alto, Tenor and Bass (first line of the name)."""
    return {part.get("id") for part in root.iter("score-part")
            if (part.findtext("part-name") or "").splitlines()[0:1] in ([v] for v in VOICES)}


def notes(path, root=None):
    """(onset, duration, MIDI pitch) of every note of the four voices, times in quarter notes
    (``root``: the file's parsed XML, if already read)."""
    root, found = _root(path) if root is None else root, []
    voices = voice_parts(root)
    for part in root.iter("part"):
        if part.get("id") not in voices:
            continue
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
                    chord = item.find("chord") is not None         # sounds with the note before
                    onset = previous_onset if chord else position
                    pitch = item.find("pitch")
                    if pitch is not None:
                        midi = (12 * (int(pitch.find("octave").text) + 1) + SEMITONES[pitch.find("step").text]
                                + int(float(pitch.findtext("alter", "0"))))
                        found.append((start + onset / divisions, duration / divisions, midi))
                    if not chord:
                        previous_onset, position = position, position + duration
                longest = max(longest, position)
            start += longest / divisions
    return found


def piano_roll(path, low, high, root=None):
    """Frames x (high - low) of 0/1: which pitches in [low, high) sound at each eighth note."""
    events = notes(path, root)
    end = max(onset + duration for onset, duration, _ in events)
    roll = np.zeros((int(np.ceil(end / STEP)), high - low), dtype=np.float32)
    for onset, duration, midi in events:
        if low <= midi < high:
            first = int(round(onset / STEP))
            roll[first:max(first + 1, int(round((onset + duration) / STEP))), midi - low] = 1.0
    return roll


def load_chorales(n_chorales=100, low=36, high=82):
    """The first ``n_chorales`` chorales (``chorale_paths``) with all four voices, as piano rolls
    over MIDI pitches [low, high) (C2 to A5: the voices' range); a list of (frames, pitches)
    arrays."""
    rolls = []
    for path in chorale_paths():
        if len(rolls) == n_chorales:
            break
        root = _root(path)
        if len(voice_parts(root)) == len(VOICES):
            rolls.append(piano_roll(path, low, high, root))
    return rolls
