"""The research labs: one module per paper, each the experiment of its lab page, and
``verdict``, which glues whether the paper's effect reproduced, for the labs' index.

``chrono`` (Tallec & Ollivier; Ohno & Kumagai: forget gates as timescales, chrono
initialization on the copy task, the gradient's decay read from the gates); ``omega``
(Pascanu, Mikolov & Bengio: the regularizer that keeps backpropagated error from vanishing, on
temporal order); ``noisy`` (Lim et
al.: hidden-state noise in training, accuracy under input noise on digits); ``gating``
(Krishnamurthy, Can & Schwab: a random gated network simulated, its timescale and dimension
against the gates' gains); ``chaos`` (Mikhaeil, Monfared & Durstewitz: gradients of chaotic
models grow at the largest Lyapunov exponent, and sparsely forced BPTT on Lorenz-63);
``memory`` (Illium et al., memory distance: how far back trained RNNs, GRUs and LSTMs repeat
unrelated inputs, one network per delay); ``hamiltonian`` (Galimberti et al., Hamiltonian deep
networks: symplectic backward sensitivities that cannot vanish, against a residual network).
"""
