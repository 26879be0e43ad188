from manim import *


class TenAnimations(Scene):
    """Ten animations; the benchmark edits one line (the last colour) and reruns."""

    def construct(self):
        dots = VGroup(*[Dot(radius=0.2) for _ in range(10)]).arrange(RIGHT, buff=0.6)
        self.add(dots)
        for i, dot in enumerate(dots[:-1]):
            self.play(dot.animate.shift(UP * (1 + i % 3)).set_color(BLUE), run_time=2)
        self.play(dots[-1].animate.shift(DOWN * 2).set_color(RED), run_time=2)  # EDITED LINE
