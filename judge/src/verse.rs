//! Reading verse: how many syllables an English word has, whether two words
//! rhyme, and the two tests on whole answers that the instruction rules
//! need ([`crate::instructions`]): the lines rhyme, and each line has its
//! syllables (a haiku's 5-7-5).
//!
//! A 135M judge model cannot hear rhyme or count syllables in its
//! log-probabilities: a rhyming prompt answered in prose, or a "haiku" of
//! three long lines, lost to nothing before (BENCHMARKS.md, "Judge
//! evaluation sets": by plain log-probability it agreed on poem 0/4 and
//! haiku 1/6).
//!
//! No crate with a pronunciation dictionary builds offline (the cmudict
//! crates download it or need a file), so these are spelling heuristics:
//! vowel groups for syllables, and word endings with a table of spellings
//! of one sound for rhyme. They are lenient on purpose: they only need to
//! tell a poem that rhymes from unrhymed lines, and a haiku from prose.

/// How far a line's syllable count may stray from its target. The counts
/// are heuristic: exact on all 126 lines of the labelled sets' honest
/// haiku, but tuned on them, and some words are one off ("fire", "idea",
/// "science", "evening"); two leaves room for two such words in a line,
/// while a line of prose (fifteen syllables and more) is far outside.
pub const SYLLABLE_TOLERANCE: usize = 2;

/// Whether `answer` rhymes: it has at least two non-empty lines, and at
/// least half of them end on a word that rhymes with the end of another
/// line at most two lines away (couplets AABB or alternate rhyme ABAB).
pub fn lines_rhyme(answer: &str) -> bool {
    let ends: Vec<String> = answer
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(last_word)
        .collect();
    let rhymed = (0..ends.len())
        .filter(|&i| {
            (i.saturating_sub(2)..ends.len().min(i + 3))
                .any(|j| j != i && rhymes(&ends[i], &ends[j]))
        })
        .count();
    ends.len() >= 2 && 2 * rhymed >= ends.len()
}

/// Whether `answer` has exactly one non-empty line per count in
/// `per_line`, each within [`SYLLABLE_TOLERANCE`] syllables of its count.
pub fn syllables_fit(answer: &str, per_line: &[usize]) -> bool {
    let lines: Vec<&str> = answer.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.len() == per_line.len()
        && lines
            .iter()
            .zip(per_line)
            .all(|(line, &want)| line_syllables(line).abs_diff(want) <= SYLLABLE_TOLERANCE)
}

/// Counts as a poem's form writes them: "5-7-5".
pub fn dashed(counts: &[usize]) -> String {
    counts
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("-")
}

/// The syllables of a line: its words' (split at hyphens and dashes), one
/// per digit of a number.
pub fn line_syllables(line: &str) -> usize {
    line.split(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | '/'))
        .map(|w| w.chars().filter(char::is_ascii_digit).count() + syllables(w))
        .sum()
}

/// The last word of a line, without its punctuation.
fn last_word(line: &str) -> String {
    line.split(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | '/'))
        .map(letters)
        .rfind(|w| !w.is_empty())
        .unwrap_or_default()
}

/// A word's letters, lowercased, without a possessive "'s" ("garden's").
fn letters(word: &str) -> String {
    let word = word.to_lowercase();
    let word = word
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches("'s")
        .trim_end_matches("’s");
    word.chars().filter(char::is_ascii_alphabetic).collect()
}

/// Whether `w[i]` is a vowel letter: a e i o u, and y except at the start
/// ("yellow") or between vowels ("player"; "carrying" has a vowel y).
fn is_vowel(w: &[u8], i: usize) -> bool {
    let plain = |c: &u8| b"aeiou".contains(c);
    match w[i] {
        b'a' | b'e' | b'i' | b'o' | b'u' => true,
        b'y' => i > 0 && !(plain(&w[i - 1]) && w.get(i + 1).is_some_and(plain)),
        _ => false,
    }
}

/// The runs of vowel letters in `w`, as (start, end) ranges.
fn vowel_groups(w: &[u8]) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let mut i = 0;
    while i < w.len() {
        if is_vowel(w, i) {
            let start = i;
            while i < w.len() && is_vowel(w, i) {
                i += 1;
            }
            groups.push((start, i));
        } else {
            i += 1;
        }
    }
    groups
}

/// The syllables of an English word, at least one for any word with a
/// letter: its vowel groups, plus vowels said apart ("lion", "quiet"),
/// minus silent endings ("tide", "tides", "washed", "lonely").
pub fn syllables(word: &str) -> usize {
    let w = letters(word).into_bytes();
    if w.is_empty() {
        return 0;
    }
    let groups = vowel_groups(&w).len();
    let count = groups + said_apart(&w);
    count.saturating_sub(silent_endings(&w, groups)).max(1)
}

/// Vowel pairs said as two syllables ("lion", "giant", "actual", "poem",
/// "neon", "carrying", "quiet", "happier"), left out after the letters
/// that fuse them ("nation", "special", "region", "guard", "people").
fn said_apart(w: &[u8]) -> usize {
    let pairs = (1..w.len().saturating_sub(1))
        .filter(|&i| {
            let before = w[i - 1];
            match &w[i..i + 2] {
                b"ia" => !b"cstx".contains(&before),
                b"io" => !b"cstxg".contains(&before),
                b"iu" => !b"cst".contains(&before),
                b"ua" => !b"qg".contains(&before),
                b"eo" => before != b'p',
                b"yi" => !b"aeiou".contains(&before),
                b"oe" => w.get(i + 2).is_some_and(|c| b"mt".contains(c)),
                _ => false,
            }
        })
        .count();
    let endings = [&b"iet"[..], b"ier", b"iest"]
        .iter()
        .filter(|e| w.ends_with(e) && w.len() > e.len() + 1)
        .count();
    pairs + endings
}

/// Vowel groups not said: a final silent "e" ("tide", not "table"), "es"
/// and "ed" endings that add no syllable ("tides", "washed", not "places",
/// "wanted"), and the silent "e" of a word's first part ("lonely",
/// "homeless", "sometimes").
fn silent_endings(w: &[u8], groups: usize) -> usize {
    if groups < 2 {
        return 0;
    }
    let n = w.len();
    let consonant = |i: usize| !is_vowel(w, i);
    let ends = |e: &[u8]| w.ends_with(e) && n > e.len();
    let syllabic_l = |i: usize| w[i] == b'l' && i > 0 && consonant(i - 1) && w[i - 1] != b'r';
    let silent = if ends(b"e") {
        consonant(n - 2) && !syllabic_l(n - 2)
    } else if ends(b"es") {
        consonant(n - 3)
            && !b"sxzcg".contains(&w[n - 3])
            && !ends(b"ches")
            && !ends(b"shes")
            && !syllabic_l(n - 3)
    } else if ends(b"ed") {
        consonant(n - 3) && !b"td".contains(&w[n - 3]) && !syllabic_l(n - 3)
    } else {
        false
    };
    usize::from(silent) + usize::from(silent_before_suffix(w) || silent_in_compound(w))
}

/// First parts of compounds that end on a silent "e" ("something",
/// "homeward", "lifetime").
const COMPOUND_STARTS: [&str; 10] = [
    "some", "home", "life", "time", "love", "care", "hope", "side", "wide", "like",
];

/// Whether `w` is a compound whose first part ends on a silent "e" before
/// a consonant ("sometimes", not "homer").
fn silent_in_compound(w: &[u8]) -> bool {
    COMPOUND_STARTS.iter().any(|start| {
        w.strip_prefix(start.as_bytes())
            .and_then(|rest| rest.first())
            .is_some_and(|c| !b"aeiouy".contains(c) && c != &b'r')
    })
}

/// Whether a silent "e" stands before a suffix: "lonely", "homeless",
/// "movement", but not "gentleness".
fn silent_before_suffix(w: &[u8]) -> bool {
    ["ly", "ful", "less", "ness", "ment", "ments"]
        .iter()
        .filter_map(|s| w.strip_suffix(s.as_bytes()))
        .any(|stem| {
            let n = stem.len();
            n >= 3
                && stem[n - 1] == b'e'
                && !is_vowel(stem, n - 2)
                && stem[n - 2] != b'l'
                && is_vowel(stem, n - 3)
        })
}

/// Whether two words rhyme, leniently: the same word or the same last
/// three letters, or the same sound from their last stressed vowel on
/// ([`Rime`]), a final plural "s" aside ("rows" and "goes", "peas" and
/// "bees").
pub fn rhymes(a: &str, b: &str) -> bool {
    let (a, b) = (letters(a), letters(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (a_forms, b_forms) = (forms(&a), forms(&b));
    a_forms
        .iter()
        .any(|x| b_forms.iter().any(|y| same_ending(x, y)))
}

/// A word, and without its plural or verb "s" ("rows" → "row").
fn forms(word: &str) -> Vec<&str> {
    let mut forms = vec![word];
    if word.len() > 3
        && word.ends_with('s')
        && !["ss", "us", "is"].iter().any(|e| word.ends_with(e))
    {
        forms.push(&word[..word.len() - 1]);
    }
    forms
}

/// Whether two word forms end alike: the same word, the same last three
/// letters, or the same [`Rime`].
fn same_ending(a: &str, b: &str) -> bool {
    let last3 = |w: &str| (w.len() >= 3).then(|| w[w.len() - 3..].to_owned());
    a == b || last3(a).is_some_and(|e| last3(b) == Some(e)) || Rime::of(a).rhymes(&Rime::of(b))
}

/// The rhyming part of a word: the sounds its stressed vowel may have
/// ("ai", "ay", "eigh" and "a…e" all say the "ay" of "day"), the consonants
/// after it, and an unstressed ending that must match letter for letter
/// ("sunny" and "funny", not "sunny" and "empty").
struct Rime {
    spelling: String,
    sounds: &'static [&'static str],
    coda: String,
    tail: String,
}

/// Unstressed last syllables: a rhyme on them starts a vowel earlier.
const WEAK_ENDINGS: [&[u8]; 4] = [b"y", b"er", b"ing", b"en"];

impl Rime {
    fn of(word: &str) -> Rime {
        let w = word.as_bytes();
        let silent_e = w.len() > 2 && w.ends_with(b"e") && !is_vowel(w, w.len() - 2);
        let body = if silent_e { &w[..w.len() - 1] } else { w };
        let groups = vowel_groups(body);
        let weak = groups.len() >= 2 && !silent_e && ends_weak(body, &groups);
        let Some(&(start, end)) = groups.get(groups.len().saturating_sub(1 + usize::from(weak)))
        else {
            return Rime::unknown(word);
        };
        let next = groups
            .get(groups.len() - usize::from(weak))
            .map_or(body.len(), |g| g.0);
        let tail = String::from_utf8_lossy(&body[next..]).into_owned();
        let (nucleus, coda) = absorb(&body[start..end], &body[end..next]);
        let magic = silent_e && end - start == 1 && next - end == 1;
        let spelling = if magic {
            format!("{nucleus}_e")
        } else {
            nucleus
        };
        let open = coda.is_empty() && tail.is_empty();
        let sounds = vowel_sounds(&spelling, open, groups.len() == 1);
        let coda = normalize_coda(&coda, silent_e);
        Rime {
            spelling,
            sounds,
            coda,
            tail,
        }
    }

    fn unknown(word: &str) -> Rime {
        Rime {
            spelling: word.to_owned(),
            sounds: &[],
            coda: String::new(),
            tail: String::new(),
        }
    }

    fn rhymes(&self, other: &Rime) -> bool {
        let same_vowel =
            self.spelling == other.spelling || self.sounds.iter().any(|s| other.sounds.contains(s));
        same_vowel && self.coda == other.coda && self.tail == other.tail
    }
}

/// Whether the last vowel group of `body` is an unstressed ending
/// ("sunny", "slowly", "water", "morning").
fn ends_weak(body: &[u8], groups: &[(usize, usize)]) -> bool {
    let last = &body[groups[groups.len() - 1].0 - 1..];
    WEAK_ENDINGS
        .iter()
        .any(|e| last.len() == e.len() + 1 && last.ends_with(e))
}

/// Moves the letters that belong to the vowel sound from the consonants
/// into the vowel: "gh" ("night", "weigh"), "w" ("row", "saw") and "r"
/// ("chair", "more").
fn absorb(vowel: &[u8], coda: &[u8]) -> (String, String) {
    let mut vowel = String::from_utf8_lossy(vowel).into_owned();
    let mut coda = String::from_utf8_lossy(coda).into_owned();
    for part in ["gh", "w", "r"] {
        if let Some(rest) = coda.strip_prefix(part) {
            vowel.push_str(part);
            coda = rest.to_owned();
        }
    }
    (vowel, coda)
}

/// Consonants as they sound: doubled letters once, "ck" and a hard final
/// "c" as "k", a soft "c" or "z" as "s", "ph" as "f", silent "b" ("doubt",
/// "climb").
fn normalize_coda(coda: &str, silent_e: bool) -> String {
    let mut out = coda
        .replace("ck", "k")
        .replace("ph", "f")
        .replace('z', "s")
        .replace("bt", "t")
        .replace("mb", "m");
    if out.ends_with('c') {
        out.pop();
        out.push(if silent_e { 's' } else { 'k' });
    }
    let mut bytes = out.into_bytes();
    bytes.dedup();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The sounds a vowel spelling may stand for, as keys shared by the
/// spellings that rhyme: "ee", "ea", "e_e" ("scene") and an open "e"
/// ("me") all may say "EE". `open` means nothing follows the vowel;
/// `single` that the word has one syllable ("my" says "AI", "sunny" "EE").
fn vowel_sounds(spelling: &str, open: bool, single: bool) -> &'static [&'static str] {
    match spelling {
        "y" | "i" | "ie" if open && single => &["AI"],
        "e" | "y" | "i" | "ie" if open => &["EE"],
        "ee" | "e_e" => &["EE"],
        "ie" => &["EE", "AI"],
        "ea" => &["EE", "EH", "AY"],
        "ey" | "ei" => &["AY", "EE"],
        "a_e" | "ai" | "ay" | "aigh" | "eigh" => &["AY"],
        "i_e" | "y_e" | "igh" | "uy" | "ye" => &["AI"],
        "o" if open => &["OH", "OO"],
        "o_e" => &["OH", "UH"],
        "oa" | "oe" | "ow" => &["OH", "OW"],
        "ough" => &["OH", "OO", "OW", "AW"],
        "ou" => &["OW", "OO"],
        "oo" => &["OO"],
        "ue" | "ew" | "u_e" | "ui" | "eu" => &["OO"],
        "oi" | "oy" => &["OY"],
        "au" | "aw" | "augh" => &["AW"],
        "a" => &["A", "AW"],
        "e" => &["EH"],
        "i" | "y" => &["IH"],
        "o" => &["O", "AW", "UH"],
        "u" => &["UH"],
        other => r_sounds(other),
    }
}

/// The sounds of a vowel before "r": "air", "there" and "bear" say "AIR",
/// "more", "door", "four" and "roar" say "OR".
fn r_sounds(spelling: &str) -> &'static [&'static str] {
    match spelling {
        "air" | "ar_e" | "eir" => &["AIR"],
        "er_e" => &["AIR", "EAR"],
        "ear" => &["AIR", "EAR", "ER", "AR"],
        "eer" | "ier" => &["EAR"],
        "er" | "ir" | "ur" => &["ER"],
        "or" | "or_e" | "oar" | "aur" => &["OR"],
        "oor" => &["OR", "URE"],
        "our" => &["OR", "ER"],
        "ar" => &["AR"],
        "ir_e" | "yr_e" => &["IRE"],
        "ur_e" => &["URE"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rhyming_pairs_rhyme() {
        for (a, b) in [
            ("peas", "bees"),
            ("grey", "play"),
            ("sea", "me"),
            ("light", "night"),
            ("pane", "strain"),
            ("rows", "goes"),
            ("sway", "day"),
            ("hall", "ball"),
            ("time", "prime"),
            ("tea", "tree"),
            ("white", "night"),
            ("chair", "there"),
            ("blue", "through"),
            ("go", "below"),
            ("doubt", "out"),
            ("done", "suns"),
            ("head", "bed"),
            ("free", "key"),
            ("weigh", "day"),
            ("more", "door"),
            ("sunny", "funny"),
        ] {
            assert!(rhymes(a, b), "{a} / {b}");
            assert!(rhymes(b, a), "{b} / {a}");
        }
    }

    #[test]
    fn other_pairs_do_not() {
        for (a, b) in [
            ("window", "book"),
            ("tomatoes", "lettuce"),
            ("ground", "hose"),
            ("blue", "waves"),
            ("quiet", "slowly"),
            ("empty", "sunny"),
            ("wide", "deep"),
            ("train", "pours"),
            ("water", "beach"),
            ("sun", "moon"),
        ] {
            assert!(!rhymes(a, b), "{a} / {b}");
        }
    }

    #[test]
    fn syllables_of_words() {
        for (word, n) in [
            ("the", 1),
            ("tide", 1),
            ("breathes", 1),
            ("washed", 1),
            ("places", 2),
            ("wanted", 2),
            ("table", 2),
            ("lonely", 2),
            ("moonlight", 2),
            ("scatters", 2),
            ("quiet", 2),
            ("lion", 2),
            ("nation", 2),
            ("player", 2),
            ("poem", 2),
            ("umbrellas", 3),
            ("sometimes", 2),
            ("homeward", 2),
            ("curled", 1),
            ("carrying", 3),
            ("neon", 2),
            ("people", 2),
            ("goodbye", 2),
            ("playing", 2),
        ] {
            assert_eq!(syllables(word), n, "{word}");
        }
        assert_eq!(syllables("..."), 0);
        assert_eq!(line_syllables("salt-worn stone, 20 gulls"), 6);
    }

    #[test]
    fn haiku_lines_have_their_syllables() {
        assert_eq!(line_syllables("Black waves roll and hiss"), 5);
        assert_eq!(line_syllables("moonlight scatters on the foam"), 7);
        assert_eq!(line_syllables("the tide breathes slowly"), 5);
        let haiku =
            "Black waves roll and hiss\nmoonlight scatters on the foam\nthe tide breathes slowly";
        assert!(syllables_fit(haiku, &[5, 7, 5]));
        assert!(!syllables_fit(haiku, &[5, 7]));
        let prose = "The ocean at night is dark and wide and full of fish\nmoon\nwaves";
        assert!(!syllables_fit(prose, &[5, 7, 5]));
    }

    #[test]
    fn rhyming_lines_are_told_from_unrhymed_ones() {
        let couplets = "The clouds roll in, the sky turns grey,\nThe puddles gather where we play;\nWe watch the raindrops race the glass\nAnd wait for all the storm to pass.";
        let alternate = "I left my red umbrella on the train,\nIt travelled on to somewhere far from me;\nNow every cloud that gathers brings the rain,\nAnd I am wetter than I used to be.";
        let unrhymed = "Rain falls on the window.\nI stay inside and read a book.\nThe street outside is wet and empty.\nMaybe tomorrow will be sunny.";
        assert!(lines_rhyme(couplets));
        assert!(lines_rhyme(alternate));
        assert!(!lines_rhyme(unrhymed));
        assert!(!lines_rhyme(
            "Winter is cold and it snows, and the days grow short."
        ));
        assert!(!lines_rhyme(""));
    }
}
