//! Style features of answers, for style control of the leaderboard (as
//! LMArena does it): how long an answer is and how much markdown it uses,
//! and the per-comparison contrast of the two answers' features that the
//! contextual Bradley-Terry fit takes as covariates.

/// The features, in the order of [`features`] and of the fitted coefficients.
pub const NAMES: [&str; 2] = ["length", "markdown"];

/// The style features of `text`: its length in characters (characters, not
/// tokens, so answers of models with different tokenizers compare) and its
/// number of markdown elements.
pub fn features(text: &str) -> [f64; 2] {
    [text.chars().count() as f64, markdown_elements(text) as f64]
}

/// Headers (`#` to `######` then a space), list items (`-`, `*`, `+` or a
/// number with `.` or `)`, then a space) and bold spans (`**…**`, `__…__`)
/// outside fenced code blocks.
pub fn markdown_elements(text: &str) -> usize {
    let mut in_code = false;
    let mut count = 0;
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if is_header(line) || is_list_item(line) {
            count += 1;
        }
        count += line.matches("**").count() / 2 + line.matches("__").count() / 2;
    }
    count
}

fn is_header(line: &str) -> bool {
    let hashes = line.len() - line.trim_start_matches('#').len();
    (1..=6).contains(&hashes) && line[hashes..].starts_with(' ')
}

fn is_list_item(line: &str) -> bool {
    if ["- ", "* ", "+ "].iter().any(|b| line.starts_with(b)) {
        return true;
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
}

/// Per feature, (a − b) / (a + b): in [−1, 1], 0 when both are 0.
pub fn contrast(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    std::array::from_fn(|k| {
        let sum = a[k] + b[k];
        if sum == 0.0 { 0.0 } else { (a[k] - b[k]) / sum }
    })
}

/// Standardizes contrasts in place to mean 0 and standard deviation 1 per
/// feature, counting every comparison in both orientations (a against b and
/// b against a): the mean is then 0 by construction, so only the scale
/// changes and a contrast keeps its sign when the two sides swap. (A mean
/// over one orientation would shift every comparison towards the agent that
/// sorts first, turning the id order into a feature.) A feature that never
/// varies stays 0.
pub fn standardize(contrasts: &mut [[f64; 2]]) {
    for k in 0..2 {
        let mean_square =
            contrasts.iter().map(|c| c[k] * c[k]).sum::<f64>() / contrasts.len().max(1) as f64;
        let sd = mean_square.sqrt();
        for c in contrasts.iter_mut() {
            c[k] = if sd > 0.0 { c[k] / sd } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_headers_list_items_and_bold_outside_code() {
        let text = "# Title\n\nSome **bold** and __more__.\n- one\n* two\n12. three\n3) four\n\
                    ```\n# not a header\n- not an item\n```\n#hashtag\n-5 degrees\n***\n";
        assert_eq!(markdown_elements(text), 7);
        assert_eq!(markdown_elements("The answer is 42."), 0);
        assert_eq!(features("héllo"), [5.0, 0.0]);
    }

    #[test]
    fn contrast_is_difference_over_sum_and_standardizing_keeps_signs() {
        assert_eq!(contrast([30.0, 0.0], [10.0, 0.0]), [0.5, 0.0]);
        let mut z = vec![[0.5, 0.0], [-0.25, 0.0], [0.0, 0.0]];
        standardize(&mut z);
        let rms = (z.iter().map(|c| c[0] * c[0]).sum::<f64>() / 3.0).sqrt();
        assert!((rms - 1.0).abs() < 1e-12);
        assert!(z[0][0] > 0.0 && z[1][0] < 0.0 && z[2][0] == 0.0);
        assert!(z.iter().all(|c| c[1] == 0.0));
    }
}
