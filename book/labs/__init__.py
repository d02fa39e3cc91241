"""The research labs: one module per paper, each the experiment of its lab page, and
``verdict``, which glues whether the paper's effect reproduced, for the labs' index.

- ``chrono``: forget gates as timescales, chrono initialization on the copy task, the
  gradient's decay read from the gates (Tallec & Ollivier; Ohno & Kumagai).
- ``taugru``: how far back the adding problem's gradient reaches in a tau-GRU and a GRU of equal
  size, and a race for the Try-it (Erichson, Lim & Mahoney; the cell is ``book.rnn.taugru``).
- ``omega``: the regularizer that keeps backpropagated error from vanishing, on temporal order
  (Pascanu, Mikolov & Bengio).
- ``noisy``: hidden-state noise in training, accuracy under input noise on digits (Lim et al.).
- ``chorales``: tanh RNN, GRU and LSTM of equal size predicting Bach's chorales as piano rolls
  (Chung et al.; the rolls are ``book.data.chorales``, from music21's corpus).
- ``gatel0rd``: latents that change only at cues, with an L0 penalty on open gates (Gumbsch,
  Butz & Martius; the cell is ``book.rnn.gatel0rd``).
- ``gating``: a random gated network simulated, its timescale and dimension against the gates'
  gains (Krishnamurthy, Can & Schwab).
- ``chaos``: gradients of chaotic models grow at the largest Lyapunov exponent; sparsely forced
  BPTT on Lorenz-63 (Mikhaeil, Monfared & Durstewitz).
- ``target_prop``: targets through regularized inverses instead of gradients (Roulet & Harchaoui).
- ``memory``: how far back trained RNNs, GRUs and LSTMs repeat unrelated inputs (Illium et al.).
- ``ncgru``: a GRU whose candidate weight the Neumann-Cayley transform keeps orthogonal, on
  the denoise task (Mucllari et al.; the cell is ``book.rnn.ncgru``).
- ``egru``: an event-based GRU against the GRU on digits, activity and operations saved
  (Subramoney et al.; the cell is ``book.rnn.egru``).
- ``state_regularized``: a GRU whose state snaps to centroids learns Tomita 4; the automaton read
  off, minimized and checked against the grammar (Wang & Niepert; the cell is
  ``book.rnn.state_regularized``).
- ``hamiltonian``: symplectic backward sensitivities that cannot vanish, against residual
  networks (Galimberti et al.).
"""
