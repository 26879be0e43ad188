"""Omega Studio's welcome scene. Edit it, then press Ctrl+R to render."""

from manim import *


class Welcome(Scene):
    def construct(self):
        title = Text("Omega Studio", font="Sans", font_size=76, weight=BOLD)
        title.set_color_by_gradient(BLUE_B, TEAL_B, GREEN_B)
        underline = Line(LEFT, RIGHT, color=TEAL_B, stroke_width=3)
        underline.match_width(title).next_to(title, DOWN, buff=0.2)
        tagline = Text("from a prompt to an animation", font="Sans")
        tagline.scale(0.6).set_color(GREY_B)
        tagline.next_to(underline, DOWN, buff=0.35)

        shapes = VGroup(
            Circle(radius=0.55, color=BLUE_C, fill_opacity=0.5),
            Square(side_length=1.05, color=TEAL_C, fill_opacity=0.5),
            Triangle(color=GREEN_C, fill_opacity=0.5).scale(0.72),
        ).arrange(RIGHT, buff=0.9)
        shapes.next_to(title, UP, buff=0.7)
        VGroup(shapes, title, underline, tagline).move_to(ORIGIN)

        self.play(Write(title), run_time=1.2)
        self.play(
            LaggedStart(*[GrowFromCenter(s) for s in shapes], lag_ratio=0.25),
            Create(underline),
            FadeIn(tagline, shift=0.3 * UP),
            run_time=1.2,
        )
        self.play(
            shapes[0].animate.scale(1.2),
            Rotate(shapes[1], PI / 2),
            Rotate(shapes[2], 2 * PI / 3),
            run_time=0.8,
        )
        self.wait(0.6)
