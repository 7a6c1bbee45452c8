"""qbank: question banks for vocational skill-level certification (职业技能等级认定)."""

__version__ = "0.1.0"
