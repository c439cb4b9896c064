"""Canned-reply drafts mined from the agents' history: templatise, cluster, store for review.

``mine_drafts(store, tenant, embedder, MiningOptions(...))`` reads each ticket's first public agent
reply, turns it into a template (``templatise``), clusters the templates per (intent, language)
(``cluster_group``) and stores the clusters as pending drafts (``kb.store.drafts``). See
docs/mining.md.
"""

from training.mining.cluster import DEFAULT_THRESHOLD, Cluster, Group, cluster_group
from training.mining.mine import MiningOptions, MiningSummary, draft_title, mine_drafts
from training.mining.templatise import MiningRules, Template, load_mining_rules, marker_notes, templatise

__all__ = [
    "DEFAULT_THRESHOLD",
    "Cluster",
    "Group",
    "MiningOptions",
    "MiningRules",
    "MiningSummary",
    "Template",
    "cluster_group",
    "draft_title",
    "load_mining_rules",
    "marker_notes",
    "mine_drafts",
    "templatise",
]
