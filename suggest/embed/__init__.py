"""Embedders: sentence-transformers (fp32 torch), ONNX Runtime int8, and a hashing fake."""
