"""Program eligibility rules stored as data.

A program's coordinator writes a short list of rules ("when drug_grams > 3 then not eligible,
because ..."). Each rule's condition is an expression in the rule-engine language over the facts
in :mod:`pathways.eligibility.facts`; :func:`pathways.eligibility.rules.validate_rules` checks a
rule set before it is saved and :func:`pathways.eligibility.rules.evaluate` decides an encounter
from the officer's answers. :mod:`pathways.eligibility.examples` holds rule sets, taken from
public program descriptions, that a coordinator can start from.

Pure Python: no models, not an installed app.
"""
