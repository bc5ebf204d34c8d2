"""F5-TTS + Vocos PyTorch re-implementation and ONNX exporter for F5Tts.Server (see docs/export.md)."""

__version__ = "1.0.0"
