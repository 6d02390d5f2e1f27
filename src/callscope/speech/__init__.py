"""Offline speech: audio decoding, faster-whisper transcription, speaker turns."""
