"""The sections of the PDF report, in order; each is ``story(report) -> list[Flowable]``."""
