"""Training and evaluation spaces for scripts/bench-train.sh.

The training space gets 40 prompts made from the space's own templates with
other names, numbers, businesses or themes; the evaluation space is the shipped
file, so no evaluation prompt is ever in a training pair.
    python3 scripts/train_prompts.py SPACE WORK_DIR
"""
import random
import re
import sys

PROMPTS = 40
NAMES = ["Ana", "Ben", "Chen", "Dara", "Fay", "Gus", "Ivo", "Jo", "Kim", "Lea", "Max", "Noa"]
THINGS = ["apples", "books", "cards", "coins", "cookies", "marbles", "pencils", "stickers",
          "shells", "stamps"]
BUSINESSES = [
    "a barber shop", "a car wash", "a cinema", "a climbing gym", "a comic shop",
    "a cooking school", "a cycling club", "a donut stand", "a dog walker", "a food truck",
    "a furniture maker", "a garden centre", "a hat shop", "a hostel", "a jazz bar",
    "a juice bar", "a kayak rental", "a key cutter", "a knitting club", "a lemonade stand",
    "a locksmith", "a phone repair shop", "a noodle bar", "an optician", "a paint shop",
    "a photo studio", "a pottery class", "a radio station", "a sailing school",
    "a shoe repair shop", "a smoothie cart", "a soap maker", "a spice shop", "a surf school",
    "a swimming pool", "a tailor", "a tattoo studio", "a train museum", "a vegan cafe",
    "a vinyl record shop", "a watch repair shop", "a zoo",
]

THEMES = [
    "a puddle", "the dawn", "a heron", "a broken clock", "summer heat", "a crow",
    "a paper boat", "the dusk", "an empty road", "a frog", "the rainbow", "a spider web",
    "falling snow", "a quiet lake", "a moth", "the north wind", "a pine cone", "a sparrow",
    "an open window", "a cherry tree", "a hayloft", "a cold morning", "a shadow",
    "a wave", "a dragonfly", "a warm loaf", "a bamboo grove", "a stone wall", "a fox",
    "the night train", "a rooftop", "a teapot", "a cloud", "an owl", "a field of wheat",
    "a footprint", "a tin roof", "a waterfall", "a scarecrow", "a snowman",
    "a mountain pass", "a seagull",
]


def arithmetic(rng):
    """One word problem of the shipped kinds and its answer."""
    who, what = rng.choice(NAMES), rng.choice(THINGS)
    kind = rng.randrange(4)
    if kind == 0:
        a, b = rng.randint(5, 45), rng.randint(2, 15)
        return f"{who} has {a} {what} and gets {b} more. How many {what} does {who} have now?", a + b
    if kind == 1:
        a = rng.randint(15, 50)
        b = rng.randint(2, a - 5)
        return f"{who} has {a} {what} and gives away {b}. How many {what} are left?", a - b
    if kind == 2:
        a, b = rng.randint(2, 12), rng.randint(2, 10)
        return f"{who} buys {a} packs of {what} with {b} in each pack. How many {what} is that?", a * b
    b, q = rng.randint(2, 8), rng.randint(2, 10)
    return f"{who} shares {b * q} {what} equally among {b} friends. How many does each friend get?", q


def slogans(rng):
    """One business to write a slogan for (no answer)."""
    return f"Business: {rng.choice(BUSINESSES)}.", None


def haiku(rng):
    """One theme to write a haiku on (no answer)."""
    return f"Theme: {rng.choice(THEMES)}.", None


def main():
    space, work = sys.argv[1], sys.argv[2]
    make = {"arithmetic": arithmetic, "slogans": slogans, "haiku": haiku}.get(space)
    if make is None:
        sys.exit(f"bench-train.sh: no prompt templates for space '{space}': use arithmetic, slogans or haiku")
    text = open(f"assets/spaces/{space}.toml").read()
    head = text.split("[[prompts]]")[0]
    shipped = set(re.findall(r'^text = "(.*)"$', text, re.M))
    rng = random.Random(18)
    made = {}
    for _ in range(10_000):
        if len(made) == PROMPTS:
            break
        prompt, answer = make(rng)
        if prompt not in shipped:
            made[prompt] = answer
    if len(made) < PROMPTS:
        sys.exit(f"bench-train.sh: only {len(made)} new prompts for '{space}'")
    entries = []
    for prompt, answer in made.items():
        entry = f'[[prompts]]\ntext = "{prompt}"\n'
        if answer is not None:
            entry += f'answer = "{answer}"\n'
        entries.append(entry + "\n")
    open(f"{work}/train-spaces/{space}.toml", "w").write(head + "".join(entries))
    open(f"{work}/eval-spaces/{space}.toml", "w").write(text)


main()
