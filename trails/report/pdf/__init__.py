"""The PDF renderer: ``render_pdf(report) -> bytes`` (reportlab platypus, deterministic)."""
