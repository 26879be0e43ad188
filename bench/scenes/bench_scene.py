from manim import *


class BenchScene(Scene):
    """A typical short explainer: shapes, text, a transform, a graph."""

    def construct(self):
        title = Text("Omega benchmark").to_edge(UP)
        circle = Circle(color=BLUE).shift(LEFT * 3)
        square = Square(color=GREEN).shift(RIGHT * 3)
        self.play(Write(title))
        self.play(Create(circle), Create(square))
        self.play(Transform(circle, square.copy().shift(LEFT * 6)))
        axes = Axes(x_range=[-3, 3], y_range=[-1, 1], x_length=6, y_length=2).shift(DOWN * 1.5)
        self.play(Create(axes), Create(axes.plot(lambda x: np.sin(2 * x), color=YELLOW)))
        self.play(FadeOut(title), circle.animate.scale(0.5))
