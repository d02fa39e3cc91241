"""State-regularized RNNs (Wang & Niepert 2019): a GRU whose state snaps to learnable centroids,
trained on the Tomita-4 grammar, and the finite automaton read off its centroids.

Tomita 4: binary strings with no three 0s in a row. Training strings have 1 to 12 symbols,
half of them in the language (drawn symbol by symbol, a 1 forced after two 0s) and half not
(the same with 000 written in at a random place). The automaton: its states are the centroids
the network reaches (and the zero start state); from centroid c_k on symbol a it goes to the
centroid the cell snaps to from c_k; a state accepts when the readout of its centroid is
positive.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..nn.optimizers import Adam
from ..rnn.state_regularized import StateRegularizedGRUCell, snap

START = "start"


def in_language(bits):
    """Tomita 4: no 000 anywhere."""
    return "000" not in "".join(map(str, bits))


def strings(batch_size, length, generator=None):
    """(x (length, B) of 0/1, y (B,)): even columns in the language, odd columns with 000."""
    columns, labels = [], []
    for b in range(batch_size):
        bits = []
        for bit in torch.randint(0, 2, (length,), generator=generator).tolist():
            bits.append(1 if bits[-2:] == [0, 0] else bit)
        if b % 2 and length >= 3:
            place = torch.randint(0, length - 2, (1,), generator=generator).item()
            bits[place:place + 3] = [0, 0, 0]
        columns.append(bits)
        labels.append(in_language(bits))
    return torch.tensor(columns).T, torch.tensor(labels, dtype=torch.float32)


class Acceptor(nn.Module):
    """A state-regularized GRU read out after the last symbol: a logit per string."""

    def __init__(self, hidden_size=16, n_centroids=8, temperature=1.0, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.cell = StateRegularizedGRUCell(2, hidden_size, n_centroids=n_centroids, temperature=temperature)
        self.weight_out = nn.Parameter(torch.randn(hidden_size) * 0.1)
        self.bias_out = nn.Parameter(torch.zeros(()))

    def readout(self, h):
        return h @ self.weight_out + self.bias_out

    def forward(self, bits):
        """Logits (B,) and the centroid of every step (T, B), for bits (T, B)."""
        h, visited = None, []
        for bit in bits:
            h, k = self.cell(F.one_hot(bit, 2).float(), h)
            visited.append(k)
        return self.readout(h), torch.stack(visited)


def fit(model, steps=400, lr=0.01, batch_size=64, longest=12, seed=0):
    """Adam on batches of one random length in 1..longest; centroids first drawn from states."""
    generator = torch.Generator().manual_seed(seed)
    model.cell.init_centroids_(F.one_hot(strings(256, 6, generator)[0], 2).float(), generator)
    optimizer = Adam(list(model.parameters()), lr=lr)
    for _ in range(steps):
        length = torch.randint(1, longest + 1, (1,), generator=generator).item()
        x, y = strings(batch_size, length, generator)
        loss = F.binary_cross_entropy_with_logits(model(x)[0], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


@torch.no_grad()
def extract(model):
    """The automaton over the centroids reachable from the zero start state:
    (transitions {state: (on 0, on 1)}, accepting states)."""
    cell, eye = model.cell, torch.eye(2)
    def step(h):
        return [cell(eye[a:a + 1], h)[1].item() for a in (0, 1)]
    transitions = {START: step(torch.zeros(1, cell.hidden_size))}
    todo = list(transitions[START])
    while todo:
        k = todo.pop()
        if k not in transitions:
            transitions[k] = step(cell.centroids[k:k + 1])
            todo += transitions[k]
    accepting = {k for k in transitions if k != START and model.readout(cell.centroids[k]) > 0}
    return transitions, accepting


def run(automaton, bits):
    transitions, accepting = automaton
    state = START
    for bit in bits:
        state = transitions[state][bit]
    return state in accepting


def minimal_size(automaton):
    """States of the minimal automaton equivalent to this one on nonempty strings (Moore's
    partition refinement over the states after the first symbol)."""
    transitions, accepting = automaton
    states = [k for k in transitions if k != START]
    block = {k: int(k in accepting) for k in states}
    while True:
        signature = {k: (block[k], block[transitions[k][0]], block[transitions[k][1]]) for k in states}
        names = {s: i for i, s in enumerate(sorted(set(signature.values())))}
        refined = {k: names[signature[k]] for k in states}
        if len(set(refined.values())) == len(set(block.values())):
            return len(set(refined.values()))
        block = refined


def tomita4_step(zeros, bit):
    """The grammar's own automaton: state = trailing 0s (0, 1, 2), 3 = a 000 was seen."""
    return 3 if zeros == 3 or (bit == 0 and zeros == 2) else (zeros + 1 if bit == 0 else 0)


def equals_the_grammar(automaton):
    """Whether the automaton accepts exactly Tomita 4 on every nonempty string, of any length:
    a search over the pairs of states the two automata reach together."""
    transitions, accepting = automaton
    pairs = {(transitions[START][a], tomita4_step(0, a)) for a in (0, 1)}
    todo = list(pairs)
    while todo:
        state, zeros = todo.pop()
        if (state in accepting) != (zeros < 3):
            return False
        for a in (0, 1):
            pair = (transitions[state][a], tomita4_step(zeros, a))
            if pair not in pairs:
                pairs.add(pair)
                todo.append(pair)
    return True


@torch.no_grad()
def evaluate(model, length, n=500, seed=1):
    """On n strings of this length: the network's accuracy, the automaton's agreement with the
    network, and the number of centroids visited."""
    x, y = strings(n, length, torch.Generator().manual_seed(seed))
    logits, visited = model(x)
    network = logits > 0
    automaton = extract(model)
    read_off = torch.tensor([run(automaton, x[:, b].tolist()) for b in range(n)])
    return ((network.float() == y).float().mean().item(), (read_off == network).float().mean().item(),
            len(torch.unique(visited)))


@torch.no_grad()
def snapped_states(model, length=12, n=200, seed=2):
    """The states u before snapping (N, H) and the centroid each snapped to, over n strings."""
    x, _ = strings(n, length, torch.Generator().manual_seed(seed))
    cell = model.cell
    h, states, picks = torch.zeros(n, cell.hidden_size), [], []
    for bit in x:
        u = cell.cell(F.one_hot(bit, 2).float(), h)
        h, k = snap(u, cell.centroids, cell.temperature)
        states.append(u)
        picks.append(k)
    return torch.cat(states).numpy(), torch.cat(picks).numpy()


def snap_distances(states, picks, centroids):
    """Mean distance of a state u to the centroid it snapped to, and mean distance between the
    centroids visited (how far a snap moves a state, against how far apart the states are)."""
    centroids = centroids.detach().numpy()
    own = np.linalg.norm(states - centroids[picks], axis=1).mean()
    visited = centroids[np.unique(picks)]
    apart = np.linalg.norm(visited[:, None] - visited[None], axis=-1)
    return float(own), float(apart[~np.eye(len(visited), dtype=bool)].mean())
