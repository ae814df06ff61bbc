//! Small embedded word lists for people, streets, jobs and merchants.
//!
//! Common English first and last names and generic job titles; no list comes
//! from a real customer file. Lists are kept as text (space- or
//! semicolon-separated) and split once, on first use.

use std::sync::LazyLock;

/// A list of words split once from its text.
pub(crate) type Words = LazyLock<Vec<&'static str>>;

fn words(text: &'static str) -> Vec<&'static str> {
    text.split_whitespace().collect()
}

fn phrases(text: &'static str) -> Vec<&'static str> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Female first names.
pub(crate) static FIRST_FEMALE: Words = LazyLock::new(|| {
    words(
        "Jennifer Stephanie Mary Patricia Linda Barbara Elizabeth Susan Jessica Sarah Karen \
     Nancy Lisa Betty Margaret Sandra Ashley Kimberly Emily Donna Michelle Dorothy Carol \
     Amanda Melissa Deborah Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna \
     Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn \
     Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly \
     Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha \
     Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice Julia Judy \
     Sophia Grace Denise Amber Doris Marilyn Danielle Beverly Isabella Theresa Diana \
     Natalie Brittany Charlotte Marie Kayla Alexis Lori Tara Tammy Erin Kristen Monica \
     Vanessa",
    )
});

/// Male first names.
pub(crate) static FIRST_MALE: Words = LazyLock::new(|| {
    words(
        "James Robert John Michael David William Richard Joseph Thomas Charles Christopher \
     Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian \
     George Timothy Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan \
     Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick \
     Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter \
     Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald Harold Sean Austin \
     Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan Albert \
     Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason \
     Philip Louis Travis Shawn Chad Dustin Troy",
    )
});

/// Family names (also used to build merchant and town names).
pub(crate) static LAST: Words = LazyLock::new(|| {
    words(
        "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez \
     Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson \
     White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott \
     Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell \
     Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes \
     Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson \
     Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James \
     Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross \
     Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson \
     Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton \
     Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis \
     Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez \
     McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman \
     Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon \
     Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox \
     Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver \
     Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters \
     Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane \
     Riley Andrews Ray Berry Perkins Hoffman Johnston Matthews Pena Richards Willis \
     Carpenter Lawrence Sandoval Kub Mann Rippin Heller Zieme Kutch Keeling Crist Stroman \
     Erdman Rowe Corwin Herzog Schoen Kuphal Kerluke Abshire Lockman Kiehn Beier Hyatt \
     Lebsack Mayert Konopelski Schultz Simonis Little Bartoletti Kozey",
    )
});

/// Street names.
pub(crate) static STREET_NAMES: Words = LazyLock::new(|| {
    words(
        "Perry Riley White Cynthia Bradley David Sarah Flores Hicks Taylor Henry Morris Oak \
     Maple Cedar Pine Elm Washington Lake Hill Park Walnut Spring North Ridge Church Mill \
     River Sunset Highland Jackson Lincoln Franklin Forest Meadow Valley Johnson Willow \
     Adams Smith Brown Garcia Martin Lewis Walker Young Allen King Wright Green Baker \
     Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins \
     Stewart Sanchez Rogers Reed Cook",
    )
});

/// Street suffixes.
pub(crate) static STREET_SUFFIXES: Words = LazyLock::new(|| {
    words(
        "Cove Greens Dale Court Rest Island Station Pass Stream Squares Plaza Street Avenue \
     Road Lane Drive Way Place Terrace Trail Crossing Point Ridge Mount Springs Valley \
     Views Square Parkway Circle Branch Loop Mews Ports Shores Ville Heights Glens Fork",
    )
});

/// Job titles; several hold commas, as in the Kaggle files.
pub(crate) static JOBS: Words = LazyLock::new(|| {
    phrases(
        "Psychologist, counselling; Special educational needs teacher; Nature conservation \
     officer; Patent attorney; Dance movement psychotherapist; Engineer, broadcasting \
     (operations); Sound technician, broadcasting/film/video; Accountant, chartered \
     certified; Teacher, primary school; Teacher, secondary school; Designer, \
     interior/spatial; Engineer, civil (consulting); Scientist, research (maths); Surveyor, \
     land/geomatics; Librarian, public; Nurse, children's; Doctor, general practice; \
     Therapist, occupational; Officer, police; Chef; Pharmacist, hospital; Architect; \
     Electrician; Plumber; Software engineer; Web designer; Data scientist; Systems \
     analyst; Civil engineer; Mechanical engineer; Electrical engineer; Chemical engineer; \
     Lawyer; Barrister; Solicitor; Paramedic; Radiographer, diagnostic; Physiotherapist; \
     Dentist; Veterinary surgeon; Optometrist; Midwife; Social worker; Youth worker; Police \
     officer; Firefighter; Retail manager; Sales executive; Marketing executive; Public \
     relations officer; Journalist, newspaper; Editor, magazine features; Photographer; \
     Graphic designer; Musician; Actor; Film/video editor; Television production assistant; \
     Translator; Interpreter; Economist; Statistician; Actuary; Insurance underwriter; \
     Financial adviser; Investment analyst; Bank teller; Tax adviser; Estate agent; \
     Quantity surveyor; Building surveyor; Farm manager; Agricultural consultant; \
     Forest/woodland manager; Fisheries officer; Hydrologist; Geologist, engineering; \
     Geophysicist/field seismologist; Meteorologist; Environmental consultant; Waste \
     management officer; Transport planner; Air traffic controller; Pilot, airline; \
     Merchant navy officer; Logistics and distribution manager; Warehouse manager; Truck \
     driver; Retail buyer; Hotel manager; Restaurant manager, fast food; Event organiser; \
     Tour manager; Fitness centre manager; Sports coach; Personal assistant; Administrator, \
     education; Administrator, local government; Human resources officer; Careers adviser; \
     Exhibition designer; Museum/gallery curator; Research officer, political party; \
     Clinical research associate; Biomedical scientist; Pathologist; Psychiatrist; \
     Counsellor; Health visitor; Nurse, mental health; Pharmacologist; IT trainer; Network \
     engineer; Programmer, multimedia; Product designer; Furniture designer; Textile \
     designer; Jewellery designer; Retired; Student",
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_into_clean_entries() {
        for list in [
            &FIRST_FEMALE,
            &FIRST_MALE,
            &LAST,
            &STREET_NAMES,
            &STREET_SUFFIXES,
        ] {
            assert!(list.len() > 30);
            assert!(list.iter().all(|w| !w.is_empty() && !w.contains(' ')));
        }
        assert!(JOBS.len() > 100);
        assert!(JOBS.contains(&"Engineer, broadcasting (operations)"));
        assert!(
            JOBS.iter()
                .all(|j| !j.is_empty() && j.trim() == *j && !j.contains("  "))
        );
    }
}
