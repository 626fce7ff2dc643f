"""The district's policies, one module each, run in order by ../pipeline.py.

Feed steps (before the diff): contacts, section_rules, schools, usernames, class_names.
Plan steps (after the diff): matching, renumbering, data_warnings. Every step has the
signature of its kind (pipeline.FeedStep, pipeline.PlanStep) and never changes what it
is given.
"""
