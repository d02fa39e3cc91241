"""The research labs: one module per paper, each the experiment of its lab page.

``hamiltonian`` (Galimberti et al., Hamiltonian deep networks: symplectic backward
sensitivities that cannot vanish, against a plain residual network).
"""
