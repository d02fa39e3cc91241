"""How many CPU threads the course's torch code runs on: ``COURSE_CPU_THREADS``, default 1.

``book.device`` applies it to torch; it lives here, apart, so that the widgets of the tabular
chapters (numpy only) read it without importing torch.
"""
import os

CPU_THREADS = int(os.environ.get("COURSE_CPU_THREADS", "1"))
