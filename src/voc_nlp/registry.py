"""Named factories for the swappable steps, so a config file can build them.

    @registry.components.register("sentiment")
    class SentimentComponent(Component): ...

    registry.components.create("sentiment", model="models/sentiment")
"""

from __future__ import annotations

from typing import Callable


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._factories: dict[str, Callable] = {}

    def register(self, name: str) -> Callable:
        def decorator(factory: Callable) -> Callable:
            self._factories[name] = factory
            return factory

        return decorator

    def get(self, name: str) -> Callable:
        _load_builtins()
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise KeyError(f"unknown {self.kind} '{name}'; registered: {known}") from None

    def create(self, name: str, **config):
        return self.get(name)(**config)

    def names(self) -> list[str]:
        _load_builtins()
        return sorted(self._factories)


encoders = Registry("encoder")
components = Registry("component")


def _load_builtins() -> None:
    # Importing the modules runs their @register decorators.
    import voc_nlp.components  # noqa: F401
    import voc_nlp.encoders  # noqa: F401
