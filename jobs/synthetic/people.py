"""Synthetic people's names, from many naming traditions, deterministic by seed.

No real person's data: given names and family names are drawn independently from common-name lists, so
a generated full name is a chance combination. Names common in the traditions that sanctions lists name
most (Arabic, Persian, Russian, Spanish, Chinese, Korean) are included on purpose: they are where a
screening's false alerts come from. Used by the accounts generator and the screening bench.
"""

from __future__ import annotations

import random

GIVEN = {
    "english": "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Susan Richard Jessica Thomas Sarah Daniel Karen Peter Nancy".split(),
    "arabic": "Muhammad Ahmed Ali Omar Hassan Hussein Khalid Yusuf Ibrahim Abdullah Fatima Aisha Mariam Layla Zainab Samir Tariq Karim Nadia Salma".split(),
    "persian": "Reza Mehdi Hossein Amir Saeed Majid Farhad Dariush Parisa Shirin Maryam Narges Babak Kamran Navid".split(),
    "russian": "Ivan Dmitry Sergei Alexei Vladimir Nikolai Olga Tatiana Natalia Elena Igor Pavel Yuri Anna Svetlana".split(),
    "spanish": "Jose Juan Carlos Luis Miguel Jorge Maria Carmen Ana Lucia Diego Alejandro Fernando Rosa Isabel".split(),
    "chinese": "Wei Fang Min Jing Lei Yan Jun Hui Qiang Xiu Ming Hong Tao Ling Bo".split(),
    "korean": "Min-jun Seo-yeon Ji-hoon Ha-eun Joon-ho Soo-jin Dong-hyun Eun-ji Sung-min Hye-jin".split(),
    "west_african": "Kwame Ama Kofi Abena Chinedu Ngozi Oluwaseun Adebayo Fatou Moussa Ibrahima Aminata".split(),
}
FAMILY = {
    "english": "Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Anderson Thomas Moore Martin Clark Lewis".split(),
    "arabic": "Haddad Khoury Mansour Nasser Saleh Hamdan Aziz Rahman Karim Qasim Hashemi Farouk Suleiman Darwish Najjar".split(),
    "persian": "Ahmadi Hosseini Karimi Rahimi Moradi Rezaei Jafari Sadeghi Mohammadi Ebrahimi Tehrani Shirazi".split(),
    "russian": "Ivanov Smirnov Kuznetsov Popov Volkov Sokolov Lebedev Kozlov Novikov Morozov Petrov Orlov".split(),
    "spanish": "Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera".split(),
    "chinese": "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun".split(),
    "korean": "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim".split(),
    "west_african": "Mensah Okafor Adeyemi Diallo Traore Owusu Boateng Nwosu Keita Balogun".split(),
}
TRADITIONS = tuple(GIVEN)


def person_name(rng: random.Random) -> str:
    """A "Given Family" name from one tradition (a second given name one time in four)."""
    tradition = rng.choice(TRADITIONS)
    given = rng.choice(GIVEN[tradition])
    if rng.random() < 0.25:
        given = f"{given} {rng.choice(GIVEN[tradition])}"
    return f"{given} {rng.choice(FAMILY[tradition])}"


def people_names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [person_name(rng) for _ in range(count)]
