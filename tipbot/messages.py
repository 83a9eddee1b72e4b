"""Every fixed user-facing sentence, in one place.

Keeping the wording here (and the health content in the tip bank) means a reviewer can read all the
bot says without reading code, and another language can be added later without touching handlers.
Strings here are trusted Telegram HTML; anything dynamic is escaped by `tipbot.content.render`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tipbot.i18n import N_, Plural


@dataclass(frozen=True)
class Command:
    name: str
    description: str


#: The command menu (setMyCommands) and /help are both built from this list.
COMMANDS: tuple[Command, ...] = (
    Command("tip", "A tip about magnesium and bone health"),
    Command("quiz", "A quick quiz question from the tips"),
    Command("foods", "Foods rich in magnesium"),
    Command("forms", "Supplement forms and what the evidence says"),
    Command("interactions", "Medicines that interact with magnesium"),
    Command("intake", "Recommended daily magnesium for your age"),
    Command("subscribe", "Get one tip a day at a time you choose"),
    Command("settings", "Change your daily tip time or time zone"),
    Command("status", "When your next tip comes"),
    Command("pause", "Pause daily tips"),
    Command("resume", "Resume daily tips"),
    Command("unsubscribe", "Stop daily tips"),
    Command("sources", "The studies and fact sheets behind every claim"),
    Command("about", "What this bot is, the disclaimer and your data"),
    Command("profile", "Optional: a few answers so tips and values fit you"),
    Command("dose", "Optional: reminders for your bone medicine"),
    Command("history", "Your dose log: the last 12 weeks"),
    Command("mydata", "Everything the bot stores about you"),
    Command("forget", "Delete everything the bot stores about you"),
    Command("language", "Choose the language of my answers"),
    Command("help", "List all commands"),
)

DISCLAIMER_SHORT = (
    "General information, not medical advice. Magnesium can interact with medicines and is risky "
    "with kidney disease: ask your doctor or pharmacist before changing anything."
)

DISCLAIMER = (
    "<b>Not medical advice.</b> This bot shares general, evidence-based information about "
    "magnesium and bone health. It does not know your health, your medicines or your test results. "
    "Before you start, stop or change a supplement or a medicine, talk to your doctor or "
    "pharmacist, especially if you have kidney disease or take prescription medicines."
)

WELCOME = (
    "Hello{name}! I share one short, evidence-cited tip a day about <b>magnesium and bone "
    "health</b>, and answer questions about foods, supplements and medicines.\n"
    "<i>General information, not medical advice.</i>\n\n"
    "Tap a button, or send /help to see everything I can do."
)

ABOUT = (
    "<b>About this bot</b>\n"
    "tipbot shares short tips about magnesium and bone health. Every tip cites the study or "
    "official fact sheet it comes from (see /sources), and says how strong the evidence is.\n\n"
    "Magnesium is <b>not a treatment for osteoporosis</b>. Keep taking the bone medicine your "
    "doctor prescribed; calcium, vitamin D, protein, exercise and preventing falls matter more for "
    "your bones.\n\n"
    + DISCLAIMER
    + "\n\n🚨 <b>Emergency.</b> Severe muscle weakness, drowsiness or confusion, slow or weak "
    "breathing, or a slow or uneven heartbeat after taking magnesium products can mean too much "
    "magnesium in the blood: call your local emergency number straight away."
    + "\n\n<b>Your data.</b> If you subscribe, the bot stores your chat id, the time and time zone "
    "you chose, whether tips are paused, and which tips you have received (so none repeats too "
    "soon). If you choose a language with /language, it stores that choice; if you fill in the "
    "optional /profile, the answers you gave there. It does not store what you write. /mydata "
    "shows all of it; /forget deletes all of it."
)

#: The bot's profile (setMyDescription, at most 512 characters): shown in an empty chat.
BOT_DESCRIPTION = (
    "One short tip a day about magnesium and bone health, each one citing the study or official "
    "fact sheet behind it. Also: foods rich in magnesium, supplement forms, and medicines that "
    "interact with magnesium. General information, not medical advice."
)
#: setMyShortDescription (at most 120 characters): shown on the bot's profile and in shares.
BOT_SHORT_DESCRIPTION = "Evidence-cited tips about magnesium and bone health. Not medical advice."

# --- /language ---
LANGUAGE_ASK = "Which language should I answer in?"
#: Said in the language just chosen, so the user sees the change at once.
LANGUAGE_SET = "From now on I will answer in English."
LANGUAGE_UNKNOWN = "I can't answer in <b>{code}</b>. I can answer in: {languages}."

HELP_HEADER = "<b>What I can do</b>"
HELP_FOOTER = "<i>Tap ⚕️ Disclaimer under any message for the short disclaimer.</i>"

UNKNOWN_COMMAND = "Sorry, I don't know that command. Send /help to see what I can do."
UNKNOWN_TEXT = "I answer commands rather than free text. Send /help to see them, or /tip for a tip."
ERROR = "Sorry, something went wrong on my side. Please try again in a minute."
BUSY = "I'm answering a lot of people right now. Please send your command again in a minute."

FOODS_HEADER = "<b>Foods rich in magnesium</b>"
FOODS_TOP_HEADER = Plural(
    "<b>The {count} food richest in magnesium</b> (per serving). Tap a group for more, or "
    "All foods for the whole list.",
    "<b>The {count} foods richest in magnesium</b> (per serving). Tap a group for more, or "
    "All foods for the whole list.",
)
FOODS_FOOTER = (
    "%DV = share of the US Daily Value of {dv} mg on US food labels. Food is the safest way to "
    "get magnesium: the upper limit applies only to supplements and medicines."
)
FOODS_FOOTER_NRV = "EU food labels give %NRV instead, based on {nrv} mg."
# --- The /foods chart (plain text: drawn into the picture, or escaped into the caption) ---
CHART_TITLE = "Magnesium in one serving"
CHART_X_LABEL = "Magnesium per serving (mg)"
CHART_Y_LABEL = "Food (serving)"
CHART_REFERENCE = "{label}: {mg} mg a day"
CHART_NOTE = "* See the note on these foods in the list below."
CHART_ALT = (
    "Chart: magnesium in one serving of the {count} richest foods. {items}. "
    "A dashed line marks the {label} of {mg} mg a day."
)
CHART_REFERENCE_DV = "Daily Value"
# --- /quiz ---
PRIVATE_ONLY = (
    "Your profile, dose reminders and their log are health data, so I keep them to a private "
    "chat with me, where nobody else sees them. Open a chat with me and send /{command} there."
)
QUIZ_PRIVATE_ONLY = (
    "Quiz questions come in a private chat with me, so nobody else sees your answers. Open a "
    "chat with me and send /quiz."
)
QUIZ_EMPTY = "There are no quiz questions yet. Try /tip for a tip instead."
SETTINGS_QUIZ_ON = "🧠 Weekly quiz: on. One question every Sunday at your tip time."
SETTINGS_QUIZ_OFF = "🧠 Weekly quiz: off."
#: /status, after the first quiz: the user's own record (numbers only, nothing shared).
QUIZ_STATUS = "🧠 Quiz: {right} of {answered} answers right. Right answers in a row: {streak}."
#: /mydata: what the quiz stores.
MYDATA_QUIZ = (
    "<b>Quiz</b>: weekly quiz {weekly}; {sent} quiz questions sent, {answered} answered (kept "
    "as right or wrong, for your streak)."
)
MYDATA_QUIZ_ON = "on"
MYDATA_QUIZ_OFF = "off"

# --- Inline mode cards (plain text, escaped where used) ---
INLINE_FOOD = "{mg} mg of magnesium in {serving} ({dv}% of the Daily Value)"
INLINE_DV = "The Daily Value on US food labels is {dv} mg."
INLINE_FORM = "About {percent}% of the compound is magnesium itself (elemental magnesium)"
INLINE_TIMING = "Timing with magnesium: {medicines}"
FORMS_HEADER = "<b>Magnesium supplement forms</b>"
#: Plain text under the /forms heading (escaped where used).
FORMS_PICK = (
    "The % is how much of the compound is magnesium, then the evidence in a few words. Tap a "
    "form for its details and sources."
)
#: The kidney warning in short on the /forms overview (each form's details carry it in full).
FORMS_KIDNEY = (
    "If you have kidney disease, do not start any magnesium supplement without your doctor: weak "
    "kidneys cannot clear extra magnesium. Each form's details carry the full warning."
)
#: A button left from an answer the bank no longer has (plain text: a callback notice).
SCREEN_GONE = "That is no longer available. Send the command again."
FORMS_FOOTER = (
    "The label's <b>elemental magnesium</b> (the mg of magnesium itself) is what counts, not the "
    "weight of the whole compound. Ask a pharmacist or doctor before starting a supplement."
)
INTERACTIONS_HEADER = "<b>Medicines that interact with magnesium</b>"
INTERACTIONS_FOOTER = (
    "Send <code>/interactions NAME</code> for one medicine, e.g. "
    "<code>/interactions Fosamax</code>. "
    "This list is not complete, and no entry does not mean a combination is safe: ask your "
    "pharmacist."
)
INTERACTION_NOT_FOUND = "I have no entry for <b>{name}</b>."
INTERACTION_SUGGEST = "Did you mean: {names}?"
INTERACTION_NO_ENTRY_ADVICE = (
    "That does not mean it is safe to take with magnesium. Please ask your pharmacist, who can "
    "check all your medicines together."
)
INTERACTION_NEVER_SAFE = (
    "<i>This is general information. Your pharmacist can check the timing for your exact "
    "medicines.</i>"
)
SOURCES_HEADER = "<b>Sources</b>"
INTAKE_USAGE = (
    "Tell me an age and sex, for example <code>/intake 67 female</code>, "
    "<code>/intake 30 male</code> or <code>/intake 28 pregnant</code>."
)
INTAKE_ASK_SEX = "Recommended daily magnesium: who is it for?"
INTAKE_ASK_AGE = "Which age group?"
INTAKE_FROM_PROFILE = (
    "<i>From your /profile. For someone else, write for example /intake 67 female.</i>"
)

# --- Daily tips (subscription) ---
SUB_ASK_TIME = "📅 <b>Daily tip</b>\nAt what time would you like your tip each day?"
SUB_TYPE_TIME = "Type the time of day, for example <code>07:30</code> or <code>19:00</code>."
SUB_ASK_ZONE = (
    "Tip at <b>{time}</b>. Which time zone are you in?\n"
    "Tap one, or type a city (<code>Berlin</code>, <code>New York</code>), a zone "
    "(<code>Europe/Berlin</code>) or an offset (<code>UTC+5:30</code>)."
)
SUB_ZONE_CHOICES = (
    "I'm not sure which time zone you mean by <b>{text}</b>. Did you mean one of these?"
)
SUB_ZONE_UNKNOWN = (
    "I don't know the time zone <b>{text}</b>. Try a big city near you (<code>Berlin</code>, "
    "<code>New York</code>), a zone name (<code>Europe/Berlin</code>) or an offset "
    "(<code>UTC+5:30</code>)."
)
SUB_BAD_TIME = "{reason}.\nExample: <code>/subscribe 07:30 Europe/Berlin</code>"
SUB_DONE = (
    "✅ Subscribed! You'll get one tip a day at <b>{schedule}</b>.\n"
    "Your next tip comes on <b>{next}</b> (your time)."
)
SUB_UTC_ASSUMED = (
    "\n\nNo time zone was given, so I used <b>UTC</b>. To change it, send for example "
    "<code>/subscribe {time} Europe/Berlin</code> or use /settings."
)
SUB_MANAGE = "Change it with /settings, pause with /pause, stop with /unsubscribe."
SUB_NONE = "You're not subscribed to daily tips. Send /subscribe to start."
SUB_STATUS = "📅 Daily tip at <b>{schedule}</b>.\nNext tip: <b>{next}</b> (your time)."
SUB_STATUS_PAUSED = "⏸ Daily tips are <b>paused</b> (set for {schedule}). Send /resume to restart."
SUB_STATUS_STOPPED = "Daily tips are <b>off</b>. Send /subscribe to start again."
SUB_PAUSED = "⏸ Paused. No tips until you send /resume."
SUB_RESUMED = "▶️ Resumed. Next tip: <b>{next}</b> (your time)."
SUB_NOT_PAUSED = "Your daily tips are not paused."
SUB_UNSUBSCRIBED = (
    "🛑 Unsubscribed. You won't get daily tips any more. Your settings are kept in case you come "
    "back; /forget deletes them."
)
SUB_TYPE_ZONE = (
    "Type your time zone: a city (<code>Berlin</code>), a zone (<code>Europe/Berlin</code>) or an "
    "offset (<code>UTC+5:30</code>)."
)
SUB_CHANGED = "✅ Updated: daily tip at <b>{schedule}</b>. Next tip: <b>{next}</b> (your time)."
SUB_WELCOME_BACK = "Welcome back! Your daily tips are on again."
SUB_NOT_SCHEDULED = "not scheduled"
SUB_PICK_TIME = (
    "Pick or type the time of day, for example <code>07:30</code> or <code>19:00</code>."
)
SETTINGS_TITLE = "⚙️ <b>Settings</b>\n"
FORGET_ASK = (
    "🗑 This deletes everything the bot stores about you: your subscription, your time and time "
    "zone, your profile, your language choice, your 👍 / 👎 on tips, your quiz answers, the link "
    "you came from, and the record of tips sent to you. It cannot be undone. Continue?"
)
FORGET_DONE = "Done. Everything the bot stored about you has been deleted."
FORGET_CANCELLED = "Nothing was deleted."
FLOW_CANCELLED = "Cancelled."

# --- Admin ---
ADMIN_STATS = (
    "<b>Stats</b>\n"
    "Subscribers: {active} active, {paused} paused, {blocked} blocked, {unsubscribed} "
    "unsubscribed\n"
    "Last 24 h: {sent} sent, {failed} failed, {pending} waiting\n"
    "Tip bank: {tips} tips, {sources} sources"
)
BROADCAST_USAGE = (
    "Usage: <code>/broadcast TEXT</code>. You'll see a preview before anything is sent."
)
BROADCAST_PREVIEW = Plural(
    "📣 <b>Preview</b> — this goes to {count} active subscriber:",
    "📣 <b>Preview</b> — this goes to {count} active subscribers:",
)
BROADCAST_QUEUED = Plural(
    "📣 Queued for {count} subscriber. It goes out under the rate limit.",
    "📣 Queued for {count} subscribers. It goes out under the rate limit.",
)
BROADCAST_EXPIRED = "That draft is no longer available. Send /broadcast again."
BROADCAST_CANCELLED = "Broadcast cancelled; nothing was sent."
BROADCAST_TOO_LONG = "That announcement is too long ({length} characters; at most {limit})."
#: The heading of an announcement, in each subscriber's language (the admin's words are not).
BROADCAST_HEADING = "📣 <b>Announcement</b>"
ADMIN_STATS_FALLBACKS = (
    "\n\n<b>Shown in English</b> since the start (missing translations: strings, tips)"
)
ADMIN_STATS_FALLBACK = "\n{language}: {strings}, {tips}"
ADMIN_STATS_NO_FALLBACKS = "\n\nEvery string and tip shown since the start was translated."

# --- Clinic mode, quiet tips, feedback (issue 13) ---
CLINIC_ADMINS_ONLY = "Only this chat's administrators can change its daily tip."
CLINIC_SUBSCRIBE_USAGE = (
    "To post the daily tip here, an administrator types the time and time zone in one message, "
    "for example <code>/subscribe 08:00 Europe/Madrid</code>."
)
SETTINGS_QUIET_ON = "\n🔕 Quiet: tips arrive without a sound."
SETTINGS_QUIET_OFF = "\n🔔 Tips arrive with the usual notification."
FEEDBACK_THANKS = "Thanks, noted."
FEEDBACK_CHANGED = "Changed, thanks."
FEEDBACK_SAME = "Already noted."
FEEDBACK_UNKNOWN = "That tip is no longer in the bank."
ADMIN_STATS_CODES = "\n\n<b>Deep links</b> (code: chats, subscribed, active)"
ADMIN_STATS_CODE = "\n<code>{code}</code>: {chats}, {subscribers}, {active}"
ADMIN_STATS_VOTES = "\n\n<b>Tip feedback</b> (most 👎 first)"
ADMIN_STATS_VOTE = "\n<code>{tip}</code>: 👎 {down} · 👍 {up}"
# --- The optional profile (/profile) and /mydata ---
PROFILE_INTRO = (
    "🧑 <b>Your profile</b> (optional)\nA few questions so that the tips and reference values that "
    "fit you come first. Skip any question; change or clear any answer later with /profile."
)
PROFILE_FIRST_NOTE = (
    "ℹ️ Your answers only choose which general information you see first. This is not medical "
    "advice, and nothing here tells you to start, stop or change a medicine."
)
#: The profile's questions, labels and answers: dicts keyed by the stored values, each text
#: marked `N_` so it is extracted, and translated where it is shown (bot/profile.py).
PROFILE_ASK = {
    "age": N_("How old are you? Pick your age group, or type your age."),
    "sex": N_(
        "Are you a woman or a man? If you are pregnant or breastfeeding, pick that: the "
        "reference values differ."
    ),
    "region": N_("Which reference values should I show? They differ a little between countries."),
    "medicine": N_("Do you take a bone medicine? Pick it, or type the name on the box."),
    "kidney": N_("Do you have kidney disease?"),
    "diet": N_("Do you follow one of these diets?"),
}
PROFILE_TITLE = "🧑 <b>Your profile</b>"
PROFILE_LABELS = {
    "age": N_("Age group"),
    "sex": N_("Sex"),
    "region": N_("Reference values"),
    "medicine": N_("Bone medicine"),
    "kidney": N_("Kidney disease"),
    "diet": N_("Diet"),
}
PROFILE_ANSWERS = {
    "sex": {
        "female": N_("Woman"),
        "male": N_("Man"),
        "pregnant": N_("Pregnant"),
        "breastfeeding": N_("Breastfeeding"),
    },
    "region": {"us": N_("US/Canada"), "eu": N_("EU"), "uk": N_("UK")},
    "kidney": {"yes": N_("Yes"), "no": N_("No"), "unsure": N_("Not sure")},
    "diet": {
        "vegetarian": N_("Vegetarian"),
        "vegan": N_("Vegan"),
        "no-dairy": N_("No dairy"),
        "none": N_("None of these"),
    },
}
PROFILE_NO_MEDICINE = "None"
PROFILE_NOT_GIVEN = "not given"
PROFILE_WHY = (
    "These answers choose which tips come first and which reference values /intake and /foods "
    "show. Only what you gave is stored; /mydata shows it and /forget deletes it."
)
PROFILE_EMPTY = "You have no profile: every answer is optional. Tap below to set one up."
PROFILE_SAVED = "✅ Saved: {label}: <b>{value}</b>."
PROFILE_OTHER_FORMS = (
    "{others} is the same medicine in another form, taken differently: if that is what your box "
    "says, choose it instead."
)
PROFILE_CLEARED_ONE = "Cleared: {label}."
PROFILE_CLEARED_ALL = "Your profile is deleted. Tips and values are the same as for everyone."
PROFILE_NOTHING_TO_CLEAR = "There was no profile to clear."
PROFILE_BAD_INPUT = "{reason}."
MYDATA_TITLE = "🗂 <b>What the bot stores about you</b>"
MYDATA_SUBSCRIPTION = "<b>Subscription</b>: {standing}, daily tip at {schedule}."
MYDATA_NO_SUBSCRIPTION = "<b>Subscription</b>: none."
MYDATA_ROTATION = "Tips sent in the current round: {count} (their ids, to avoid repeats)."
MYDATA_DELIVERIES = "Delivery records kept (for exactly-once sending, pruned later): {count}."
MYDATA_PROFILE = "<b>Profile</b>:"
MYDATA_NO_PROFILE = "<b>Profile</b>: none."
MYDATA_FOOTER = "Change the profile with /profile; delete everything with /forget."
#: A subscription's standing as /mydata names it (keyed by `Standing`).
MYDATA_STANDING = {
    "active": N_("active"),
    "paused": N_("paused"),
    "blocked": N_("blocked"),
    "unsubscribed": N_("unsubscribed"),
}

# --- The dose companion (/dose, its reminders, /history) --------------------------------------
DOSE_REMINDER_TITLE = "💊 <b>Time for your {name}</b> ({time})"
DOSE_FOLLOW_UP_TITLE = (
    "💊 <b>A gentle reminder: your {name}</b> ({time}). Tap a button so your log stays right."
)
DOSE_HOW = "<b>How to take it</b> (from the label):"
DOSE_MINERALS = "<b>Calcium, magnesium, iron, antacids</b>:"
DOSE_REMINDER_NOTE = (
    "<i>A reminder you set, not medical advice. Your doctor or pharmacist decides your dose.</i>"
)
DOSE_TAKEN_BUTTON = "✅ Taken"
DOSE_SNOOZE_BUTTON = "⏰ Snooze 15 min"
DOSE_SKIP_BUTTON = "⏭ Skip today"
DOSE_WAIT_FOOD = (
    "🍳 The {minutes}-minute wait after your {name} is over: you can have breakfast, drinks and "
    "your other medicines now."
)
DOSE_WAIT_FOOD_AND_MINERALS = (
    "🍳 The {minutes}-minute wait after your {name} is over: you can have breakfast and your "
    "calcium or magnesium now."
)
DOSE_WAIT_MINERALS = (
    "🥛 It is {minutes} minutes since your {name}: calcium, magnesium, iron and antacids can "
    "follow now."
)
DOSE_APPOINTMENT = (
    "📅 <b>Your {name} is due in a week, on {day}.</b> If the appointment is not booked yet, "
    "now is a good time to arrange it with your clinic."
)
DOSE_MISSED_RULE = "<b>If a dose is missed</b>, the label says:"
DOSE_NO_MISSED_RULE = (
    "The label gives no rule for a missed dose on this schedule: ask your pharmacist what to do."
)
DOSE_TAKEN = "✅ Noted: taken at {time}."
DOSE_WAIT_PLANNED = "I'll send a message at {time} when that wait is over."
DOSE_SKIPPED = "Noted: skipped today."
DOSE_SNOOZED = "⏰ I'll remind you again at {time}."
DOSE_ALREADY = "This dose is already in your log as {state}."
DOSE_GONE = "This reminder is no longer active."
DOSE_SET = "💊 Reminders set: <b>{name}</b>, {schedule}.\nNext reminder: {next}."
DOSE_FIRST_NOTE = (
    "<i>This is a reminder you set, not medical advice: it never tells you to start, stop or "
    "change a medicine. Your doctor or pharmacist decides your dose and schedule.</i>"
)
DOSE_OTHER_FORMS = (
    "{others}: the same medicine in another form, with its own label rules. If that is what your "
    "box says, set it up instead."
)
DOSE_ZONE_ASSUMED = (
    "Time zone: {zone}, as for your daily tips (add another zone at the end to change it)."
)
DOSE_NONE = (
    "You have no dose reminders. Choose your medicine below, or set it up in one line, for "
    "example: /dose alendronate weekly mon 07:00 Europe/Berlin"
)
DOSE_PLAN = "💊 Your reminders: <b>{name}</b>, {schedule}.\nNext reminder: {next}."
DOSE_PLAN_PAUSED = (
    "💊 Your reminders: <b>{name}</b>, {schedule}.\nThey are paused: /resume restores them."
)
DOSE_OFF = (
    "Dose reminders are off; nothing more will be sent about them. Your log stays for /history "
    "until you /forget it."
)
DOSE_OFF_NONE = "You had no dose reminders."
DOSE_OFF_BUTTON = "Turn reminders off"
DOSE_BAD_INPUT = "{reason}"
#: The adherence line under /history's calendar: a plural for the languages whose word for
#: "doses" follows the number (Russian); English reads "of 1 doses" as it always did.
HISTORY_ADHERENCE = Plural(
    "Taken: {taken} of {due} doses ({rate}).", "Taken: {taken} of {due} doses ({rate})."
)
#: How /dose describes an every-N-days plan (N is 2 to 90).
DOSE_EVERY_N_DAYS = Plural(
    "every {days} day from {start} at {time} ({zone})",
    "every {days} days from {start} at {time} ({zone})",
)
DOSE_PAUSE_ASK = "Pause your dose reminders too?"
DOSE_PAUSE_YES = "Yes, pause them"
DOSE_PAUSE_NO = "No, keep them"
DOSE_PAUSED = "Dose reminders paused. /resume restores them."
DOSE_KEPT = "Your dose reminders continue as before."
DOSE_RESUMED = "Dose reminders resumed. Next reminder: {next}."
DOSE_PICK_MEDICINE = "💊 Which bone medicine do you take?"
DOSE_PICK_SCHEDULE = "How often do you take {name}?"
DOSE_PICK_WEEKDAY = "On which day of the week?"
DOSE_PICK_MONTH_DAY = "On which date of each month?"
DOSE_PICK_TIME = "At what time? (For another time, type for example: {example})"
DOSE_PICK_ZONE = "In which time zone? (For another one, type for example: {example})"
DOSE_APPOINTMENT_HOW = (
    "{name} is given by a health professional, so I remind you a week before each appointment. "
    "Type the date of your next one, for example: /dose {generic} appointment 2027-03-01 09:00"
)
DOSE_LAST_DAY = "Last day"
DOSE_DAILY = "Every day"
DOSE_WEEKLY = "Once a week"
DOSE_MONTHLY = "Once a month"
HISTORY_TITLE = "📅 <b>Your doses, last 12 weeks</b> ({zone})"
HISTORY_EMPTY = "Your dose log is empty. Set up reminders with /dose."
HISTORY_CSV_BUTTON = "📄 CSV for your doctor"
HISTORY_CSV_CAPTION = "Your dose log ({count} doses), for your doctor."
MYDATA_DOSE_PLAN = "<b>Dose reminders</b>: {name}, {schedule}."
MYDATA_NO_DOSE_PLAN = "<b>Dose reminders</b>: none."
MYDATA_DOSE_LOG = "Dose log: {count} doses (see /history)."
