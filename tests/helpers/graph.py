"""The graph config.yml makes, as `rasa train` builds it (validated, no training),
for the tests that check where a project component sits in it."""

from __future__ import annotations

from typing import Any, Dict, List

from tests.helpers import ROOT


def config_graph() -> Any:
    """Rasa's GraphModelConfiguration for config.yml (train and predict schemas), validated."""
    import rasa.engine.validation
    import rasa.shared.utils.io
    from rasa.engine.recipes.recipe import Recipe

    config = rasa.shared.utils.io.read_model_configuration(str(ROOT / "config.yml"))
    graph = Recipe.recipe_for_name(config.get("recipe")).graph_config_for_recipe(config, {})
    rasa.engine.validation.validate(graph)
    return graph


def upstream(nodes: Dict[str, Any], start: str, key: str) -> List[str]:
    """The nodes `start` reads `key` from, nearest first, following the chain to its source."""
    chain, node = [], start
    while node in nodes and key in nodes[node].needs:
        node = nodes[node].needs[key]
        chain.append(node)
    return chain
