#!/usr/bin/env python3
"""Builds data/semantic-cache-pairs.jsonl: labelled pairs for calibrating the semantic cache.

Usage: python3 eng/gen-calibration-pairs.py ../shared/data/gptcache_positive_pairs.jsonl

- positives (label 1): the 999 GPTCache paraphrase pairs (MIT), unchanged.
- synthetic hard negatives (label 0, "kind": "swap"): sentence `a` of each pair with ONE content word replaced by a content
  word of another sentence. They share every other word, so a lexical embedder scores them as near-identical.
- handwritten hard negatives (label 0, "kind": "hard"): questions that differ in one key term, a negation or a number.
- easy negatives (label 0, "kind": "random"): `a` of one pair with `b` of another.
The seed is fixed, so the file is reproducible.
"""
import json, random, re, sys

STOP = set("a an the is are was were be been am do does did of to in on at for with by from and or it its this that these those "
           "i you we they he she my your our their me us can could would should will shall may might what how which who whom as so "
           "if about into there here please not no".split())

HARD = [
    ("How do I learn French?", "How do I learn German?"),
    ("How do I cancel my order?", "How do I cancel my subscription?"),
    ("How do I reset my password?", "How do I reset my username?"),
    ("What is the capital of France?", "What is the capital of Spain?"),
    ("Is the store open on Sunday?", "Is the store open on Monday?"),
    ("Is the store open on Sunday?", "Is the store not open on Sunday?"),
    ("Can I return shoes without a receipt?", "Can I return shoes with a receipt?"),
    ("What's the weather in Paris today?", "What's the weather in London today?"),
    ("What's the weather in Paris today?", "What's the weather in Paris tomorrow?"),
    ("Book a table for 2 people at 7pm", "Book a table for 4 people at 7pm"),
    ("Convert 100 dollars to euros", "Convert 100 euros to dollars"),
    ("Convert 100 dollars to euros", "Convert 250 dollars to euros"),
    ("How many calories are in an apple?", "How many calories are in a banana?"),
    ("How do I install Python on Windows?", "How do I install Python on Linux?"),
    ("How do I uninstall Python on Windows?", "How do I install Python on Windows?"),
    ("What is the refund policy for electronics?", "What is the refund policy for clothing?"),
    ("Show me flights from Berlin to Rome", "Show me flights from Rome to Berlin"),
    ("Show me flights from Berlin to Rome", "Show me hotels from Berlin to Rome"),
    ("What is the boiling point of water?", "What is the freezing point of water?"),
    ("Who wrote Pride and Prejudice?", "Who wrote War and Peace?"),
    ("Translate 'good morning' into Spanish", "Translate 'good night' into Spanish"),
    ("Translate 'good morning' into Spanish", "Translate 'good morning' into Italian"),
    ("How do I delete my account?", "How do I create my account?"),
    ("How do I upgrade my plan?", "How do I downgrade my plan?"),
    ("Does the hotel allow pets?", "Does the hotel allow smoking?"),
    ("Does the hotel allow pets?", "Does the hotel not allow pets?"),
    ("What time does the pharmacy close?", "What time does the pharmacy open?"),
    ("How long does shipping to Canada take?", "How long does shipping to Mexico take?"),
    ("Is ibuprofen safe during pregnancy?", "Is paracetamol safe during pregnancy?"),
    ("What is 15% of 200?", "What is 15% of 300?"),
    ("What is 15% of 200?", "What is 25% of 200?"),
    ("Set an alarm for 6am", "Set an alarm for 7am"),
    ("Send the report to Alice", "Send the report to Bob"),
    ("Which is bigger, a lion or a tiger?", "Which is faster, a lion or a tiger?"),
    ("How do I enable two-factor authentication?", "How do I disable two-factor authentication?"),
    ("Summarize the first chapter", "Summarize the last chapter"),
    ("List the advantages of solar power", "List the disadvantages of solar power"),
    ("Write a poem about the sea", "Write a poem about the mountains"),
    ("How do I sort a list in Python?", "How do I sort a list in Java?"),
    ("How do I sort a list in ascending order?", "How do I sort a list in descending order?"),
    ("Why is my laptop battery draining fast?", "Why is my phone battery draining fast?"),
    ("Can I pay with PayPal?", "Can I pay with Bitcoin?"),
    ("Where is my order #1234?", "Where is my order #5678?"),
    ("Is the museum free for students?", "Is the museum free for seniors?"),
    ("What are the side effects of aspirin?", "What are the benefits of aspirin?"),
    ("How do I change my shipping address?", "How do I change my billing address?"),
    ("I want to increase my credit limit", "I want to decrease my credit limit"),
    ("Do you ship internationally?", "Do you not ship internationally?"),
    ("What's the population of Tokyo?", "What's the area of Tokyo?"),
    ("How do I make a cappuccino?", "How do I make a latte?"),
]

def words(text):
    return re.findall(r"[A-Za-z]+", text)

def main(path):
    rnd = random.Random(20261123)
    pairs = [json.loads(l) for l in open(path) if l.strip()]
    out = []
    for p in pairs:
        out.append({"a": p["a"], "b": p["b"], "label": 1, "kind": "paraphrase"})
    vocab = sorted({w.lower() for p in pairs for w in words(p["a"] + " " + p["b"]) if len(w) >= 4 and w.lower() not in STOP})
    for p in pairs:
        # A victim must stand as a whole word (not inside an identifier such as storage_options) so the swap changes the text.
        candidates = [w for w in set(words(p["a"])) if len(w) >= 4 and w.lower() not in STOP and re.search(r"(?<![\w])" + re.escape(w) + r"(?![\w])", p["a"])]
        if not candidates:
            continue
        victim = rnd.choice(sorted(candidates))
        replacement = rnd.choice(vocab)
        while replacement == victim.lower():
            replacement = rnd.choice(vocab)
        swapped = re.sub(r"(?<![\w])" + re.escape(victim) + r"(?![\w])", replacement, p["a"], count=1)
        assert swapped != p["a"]
        out.append({"a": p["a"], "b": swapped, "label": 0, "kind": "swap"})
    for a, b in HARD:
        out.append({"a": a, "b": b, "label": 0, "kind": "hard"})
    for i in range(500):
        x, y = rnd.sample(range(len(pairs)), 2)
        out.append({"a": pairs[x]["a"], "b": pairs[y]["b"], "label": 0, "kind": "random"})
    with open("data/semantic-cache-pairs.jsonl", "w") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    print(len(out), "pairs:", sum(o["label"] for o in out), "positive")

main(sys.argv[1])
