"""replykit's domain and pipeline.

Importing this package switches every Hugging Face library to offline mode first,
so no code path in replykit can reach a model hub.
"""

from suggest.offline import enforce_offline

enforce_offline()
